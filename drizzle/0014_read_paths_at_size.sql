CREATE TABLE "finding_counts" (
	"account_id" text NOT NULL,
	"source" text NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "finding_counts_account_id_source_severity_status_pk" PRIMARY KEY("account_id","source","severity","status")
);
--> statement-breakpoint
DROP INDEX "findings_account_status_idx";--> statement-breakpoint
DROP INDEX "findings_status_severity_idx";--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "severity_rank" smallint GENERATED ALWAYS AS (case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "findings_open_order_idx" ON "findings" USING btree ("severity_rank","first_seen_at" DESC NULLS LAST,"id" DESC NULLS LAST,"account_id") WHERE "findings"."status" in ('open', 'acknowledged');--> statement-breakpoint
CREATE INDEX "findings_status_order_idx" ON "findings" USING btree ("status","severity_rank","first_seen_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "findings_account_order_idx" ON "findings" USING btree ("account_id","status","severity_rank","first_seen_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "findings_first_seen_idx" ON "findings" USING btree ("first_seen_at","severity_rank","account_id","id");--> statement-breakpoint
CREATE INDEX "findings_resolved_at_idx" ON "findings" USING btree ("resolved_at") WHERE "findings"."status" = 'resolved';--> statement-breakpoint
CREATE INDEX "findings_regressed_at_idx" ON "findings" USING btree ("status_changed_at") WHERE "findings"."regression" and "findings"."status" = 'open';
--> statement-breakpoint
-- finding_counts follows findings in the writer's own statement: a statement-level trigger per kind
-- of change reads the statement's transition tables and adds what entered each (account, source,
-- severity, state) and takes away what left it. Keys are upserted in sorted order, so two writers
-- never wait for each other's counters in opposite orders.
CREATE FUNCTION "finding_counts_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO finding_counts AS c (account_id, source, severity, status, n)
  SELECT account_id, source, severity, status, count(*) FROM new_rows
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (account_id, source, severity, status) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "finding_counts_move"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO finding_counts AS c (account_id, source, severity, status, n)
  SELECT account_id, source, severity, status, sum(d) FROM (
    SELECT account_id, source, severity, status, 1 AS d FROM new_rows
    UNION ALL
    SELECT account_id, source, severity, status, -1 AS d FROM old_rows
  ) moves
  GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (account_id, source, severity, status) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "finding_counts_remove"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO finding_counts AS c (account_id, source, severity, status, n)
  SELECT account_id, source, severity, status, -count(*) FROM old_rows
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (account_id, source, severity, status) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "finding_counts_clear"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM finding_counts;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "finding_counts_on_insert" AFTER INSERT ON "findings" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "finding_counts_add"();
--> statement-breakpoint
CREATE TRIGGER "finding_counts_on_update" AFTER UPDATE ON "findings" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "finding_counts_move"();
--> statement-breakpoint
CREATE TRIGGER "finding_counts_on_delete" AFTER DELETE ON "findings" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "finding_counts_remove"();
--> statement-breakpoint
CREATE TRIGGER "finding_counts_on_truncate" AFTER TRUNCATE ON "findings"
  FOR EACH STATEMENT EXECUTE FUNCTION "finding_counts_clear"();
--> statement-breakpoint
-- The counts start from the findings already stored.
INSERT INTO "finding_counts" ("account_id", "source", "severity", "status", "n")
SELECT "account_id", "source", "severity", "status", count(*) FROM "findings" GROUP BY 1, 2, 3, 4;
