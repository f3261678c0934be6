CREATE TABLE "access_review_items" (
	"id" serial PRIMARY KEY NOT NULL,
	"review_id" integer NOT NULL,
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"arn" text NOT NULL,
	"details" jsonb NOT NULL,
	"reviewer" text,
	"decision" text DEFAULT 'pending' NOT NULL,
	"note" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"finding_ids" integer[] DEFAULT '{}' NOT NULL,
	"request_ids" integer[] DEFAULT '{}' NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	"reminded_at" timestamp with time zone,
	"escalated_at" timestamp with time zone,
	CONSTRAINT "access_review_items_kind_check" CHECK ("kind" in ('user', 'role')),
	CONSTRAINT "access_review_items_decision_check" CHECK ("decision" in ('pending', 'keep', 'revoke', 'gone'))
);
--> statement-breakpoint
CREATE TABLE "access_review_messages" (
	"review_id" integer NOT NULL,
	"account_id" text NOT NULL,
	"reviewer" text NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	CONSTRAINT "access_review_messages_review_id_account_id_reviewer_pk" PRIMARY KEY("review_id","account_id","reviewer")
);
--> statement-breakpoint
CREATE TABLE "access_reviews" (
	"id" serial PRIMARY KEY NOT NULL,
	"scope" jsonb NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"started_by" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "access_reviews_status_check" CHECK ("status" in ('open', 'closed'))
);
--> statement-breakpoint
ALTER TABLE "control_results" DROP CONSTRAINT "control_results_source_check";--> statement-breakpoint
ALTER TABLE "finding_counts" DROP CONSTRAINT "finding_counts_source_check";--> statement-breakpoint
ALTER TABLE "findings" DROP CONSTRAINT "findings_source_check";--> statement-breakpoint
ALTER TABLE "scan_targets" DROP CONSTRAINT "scan_targets_source_check";--> statement-breakpoint
ALTER TABLE "sync_cursors" DROP CONSTRAINT "sync_cursors_source_check";--> statement-breakpoint
ALTER TABLE "access_review_items" ADD CONSTRAINT "access_review_items_review_id_access_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."access_reviews"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_review_messages" ADD CONSTRAINT "access_review_messages_review_id_access_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."access_reviews"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "access_review_items_principal_idx" ON "access_review_items" USING btree ("review_id","arn");--> statement-breakpoint
CREATE INDEX "access_review_items_pending_idx" ON "access_review_items" USING btree ("review_id") WHERE "access_review_items"."decision" = 'pending';--> statement-breakpoint
ALTER TABLE "control_results" ADD CONSTRAINT "control_results_source_check" CHECK ("source" in ('securityhub', 'credential-report', 'access-review'));--> statement-breakpoint
ALTER TABLE "finding_counts" ADD CONSTRAINT "finding_counts_source_check" CHECK ("source" in ('securityhub', 'credential-report', 'access-review'));--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_source_check" CHECK ("source" in ('securityhub', 'credential-report', 'access-review'));--> statement-breakpoint
ALTER TABLE "scan_targets" ADD CONSTRAINT "scan_targets_source_check" CHECK ("source" in ('securityhub', 'credential-report', 'access-review'));--> statement-breakpoint
ALTER TABLE "sync_cursors" ADD CONSTRAINT "sync_cursors_source_check" CHECK ("source" in ('securityhub', 'credential-report', 'access-review'));