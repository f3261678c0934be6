-- Every scan rewrites each finding it sees (last_seen_at, last_scan_id, the source's fields), and
-- none of those columns is indexed. With room left on each page the new version goes on the same
-- page and no index is touched (a HOT update); on full pages each refresh writes all nine indexes.
-- 60% leaves room for a second version of every row on a page. Pages written before this keep
-- their fill until they are rewritten (VACUUM FULL or pg_repack).
ALTER TABLE "findings" SET (fillfactor = 60);
