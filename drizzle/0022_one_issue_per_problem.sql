DROP INDEX "findings_open_order_idx";--> statement-breakpoint
DROP INDEX "findings_status_order_idx";--> statement-breakpoint
DROP INDEX "findings_account_order_idx";--> statement-breakpoint
DROP INDEX "findings_first_seen_idx";--> statement-breakpoint
DROP INDEX "findings_resolved_at_idx";--> statement-breakpoint
DROP INDEX "findings_regressed_at_idx";--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "issue_key" text GENERATED ALWAYS AS (case when control_id is null then source || '|' || product_arn || '|' || external_id
          else account_id || '|' || control_id || '|' || case when resource_id not like 'arn:%:iam::%' then resource_id
            else regexp_replace(split_part(resource_id, '#', 1),
              '^arn:[^:]+:iam::([0-9]{12}):(root|account-password-policy)$', 'AWS::::Account:\1') end end) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "duplicate_of" integer;--> statement-breakpoint
CREATE INDEX "findings_issue_idx" ON "findings" USING btree ("issue_key");--> statement-breakpoint
CREATE INDEX "findings_open_order_idx" ON "findings" USING btree ("severity_rank","first_seen_at" DESC NULLS LAST,"id" DESC NULLS LAST,"account_id") WHERE "findings"."status" in ('open', 'acknowledged') and "findings"."duplicate_of" is null;--> statement-breakpoint
CREATE INDEX "findings_status_order_idx" ON "findings" USING btree ("status","severity_rank","first_seen_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "findings"."duplicate_of" is null;--> statement-breakpoint
CREATE INDEX "findings_account_order_idx" ON "findings" USING btree ("account_id","status","severity_rank","first_seen_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "findings"."duplicate_of" is null;--> statement-breakpoint
CREATE INDEX "findings_first_seen_idx" ON "findings" USING btree ("first_seen_at","severity_rank","account_id","id") WHERE "findings"."duplicate_of" is null;--> statement-breakpoint
CREATE INDEX "findings_resolved_at_idx" ON "findings" USING btree ("resolved_at") WHERE "findings"."status" = 'resolved' and "findings"."duplicate_of" is null;--> statement-breakpoint
CREATE INDEX "findings_regressed_at_idx" ON "findings" USING btree ("status_changed_at") WHERE "findings"."regression" and "findings"."status" = 'open' and "findings"."duplicate_of" is null;--> statement-breakpoint
-- The findings already stored fold into issues: in each issue, the first stored finding that is not
-- resolved (else the first) is its primary, and the others point at it (as regroupIssues keeps them).
WITH ranked AS (
  SELECT id, first_value(id) OVER (PARTITION BY issue_key ORDER BY status = 'resolved', id) AS head
  FROM findings
  WHERE issue_key IN (SELECT issue_key FROM findings GROUP BY issue_key HAVING count(*) > 1)
)
UPDATE findings f SET duplicate_of = r.head FROM ranked r WHERE f.id = r.id AND r.head <> r.id;
--> statement-breakpoint
-- finding_counts counts issues: a finding that is not its issue's primary is not counted, and one that
-- becomes or stops being a primary moves in or out of the counts like a change of state.
CREATE OR REPLACE FUNCTION "finding_counts_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO finding_counts AS c (account_id, source, severity, status, n)
  SELECT account_id, source, severity, status, count(*) FROM new_rows WHERE duplicate_of IS NULL
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (account_id, source, severity, status) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "finding_counts_move"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO finding_counts AS c (account_id, source, severity, status, n)
  SELECT account_id, source, severity, status, sum(d) FROM (
    SELECT account_id, source, severity, status, 1 AS d FROM new_rows WHERE duplicate_of IS NULL
    UNION ALL
    SELECT account_id, source, severity, status, -1 AS d FROM old_rows WHERE duplicate_of IS NULL
  ) moves
  GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (account_id, source, severity, status) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "finding_counts_remove"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO finding_counts AS c (account_id, source, severity, status, n)
  SELECT account_id, source, severity, status, -count(*) FROM old_rows WHERE duplicate_of IS NULL
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (account_id, source, severity, status) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- The counts start again from the issues.
DELETE FROM "finding_counts";
--> statement-breakpoint
INSERT INTO "finding_counts" ("account_id", "source", "severity", "status", "n")
SELECT "account_id", "source", "severity", "status", count(*) FROM "findings" WHERE "duplicate_of" IS NULL GROUP BY 1, 2, 3, 4;
