CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"state" text NOT NULL,
	"ou_id" text,
	"ou_path" text,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"joined_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"gone_at" timestamp with time zone,
	CONSTRAINT "accounts_id_12_digits" CHECK ("accounts"."id" ~ '^[0-9]{12}$')
);
--> statement-breakpoint
CREATE TABLE "assignments" (
	"id" serial PRIMARY KEY NOT NULL,
	"finding_id" integer NOT NULL,
	"assignee" text NOT NULL,
	"assigned_by" text NOT NULL,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject" text NOT NULL,
	"details" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "digests_sent" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"period" text NOT NULL,
	"channel" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"message_ts" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "findings" (
	"id" serial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"product_arn" text DEFAULT '' NOT NULL,
	"external_id" text NOT NULL,
	"account_id" text NOT NULL,
	"region" text NOT NULL,
	"resource_type" text,
	"resource_id" text NOT NULL,
	"control_id" text,
	"generator_id" text,
	"title" text NOT NULL,
	"description" text,
	"severity" text NOT NULL,
	"compliance" text,
	"aws_workflow_status" text,
	"status" text DEFAULT 'open' NOT NULL,
	"regression" boolean DEFAULT false NOT NULL,
	"reopen_count" integer DEFAULT 0 NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"source_updated_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"status_changed_at" timestamp with time zone,
	"status_changed_by" text,
	"assignee" text,
	"remediation_text" text,
	"remediation_url" text,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_scan_id" integer
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"job" text NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"claimed_by" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" text DEFAULT 'running' NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "posture_snapshots" (
	"id" serial PRIMARY KEY NOT NULL,
	"scan_id" integer,
	"taken_at" timestamp with time zone NOT NULL,
	"account_id" text NOT NULL,
	"ou_path" text,
	"open_critical" integer DEFAULT 0 NOT NULL,
	"open_high" integer DEFAULT 0 NOT NULL,
	"open_medium" integer DEFAULT 0 NOT NULL,
	"open_low" integer DEFAULT 0 NOT NULL,
	"open_informational" integer DEFAULT 0 NOT NULL,
	"controls_passed" integer DEFAULT 0 NOT NULL,
	"controls_failed" integer DEFAULT 0 NOT NULL,
	"score" integer
);
--> statement-breakpoint
CREATE TABLE "remediation_decisions" (
	"request_id" integer NOT NULL,
	"decided_by" text NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "remediation_decisions_request_id_decided_by_pk" PRIMARY KEY("request_id","decided_by")
);
--> statement-breakpoint
CREATE TABLE "remediation_requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"finding_id" integer NOT NULL,
	"account_id" text NOT NULL,
	"playbook_id" text NOT NULL,
	"input" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"plan" jsonb NOT NULL,
	"reason" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"required_approvals" integer DEFAULT 1 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"mode" text,
	"execution_started_at" timestamp with time zone,
	"execution_finished_at" timestamp with time zone,
	"result" jsonb,
	"error" text,
	"rollback_of" integer
);
--> statement-breakpoint
CREATE TABLE "scan_targets" (
	"scan_id" integer NOT NULL,
	"account_id" text NOT NULL,
	"region" text NOT NULL,
	"source" text NOT NULL,
	"status" text NOT NULL,
	"failure_kind" text,
	"reason" text,
	"new_count" integer DEFAULT 0 NOT NULL,
	"updated_count" integer DEFAULT 0 NOT NULL,
	"resolved_count" integer DEFAULT 0 NOT NULL,
	"reopened_count" integer DEFAULT 0 NOT NULL,
	"throttles" integer DEFAULT 0 NOT NULL,
	"api_calls" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	CONSTRAINT "scan_targets_scan_id_account_id_region_source_pk" PRIMARY KEY("scan_id","account_id","region","source")
);
--> statement-breakpoint
CREATE TABLE "scans" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" text,
	"status" text DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"summary" jsonb,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"id" serial PRIMARY KEY NOT NULL,
	"finding_id" integer NOT NULL,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"lifted_at" timestamp with time zone,
	"lifted_by" text
);
--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "posture_snapshots" ADD CONSTRAINT "posture_snapshots_scan_id_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "public"."scans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remediation_decisions" ADD CONSTRAINT "remediation_decisions_request_id_remediation_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."remediation_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remediation_requests" ADD CONSTRAINT "remediation_requests_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scan_targets" ADD CONSTRAINT "scan_targets_scan_id_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "public"."scans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppressions" ADD CONSTRAINT "suppressions_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assignments_finding_idx" ON "assignments" USING btree ("finding_id");--> statement-breakpoint
CREATE UNIQUE INDEX "digests_sent_period_idx" ON "digests_sent" USING btree ("kind","period","channel");--> statement-breakpoint
CREATE UNIQUE INDEX "findings_identity_idx" ON "findings" USING btree ("source","product_arn","external_id");--> statement-breakpoint
CREATE INDEX "findings_account_status_idx" ON "findings" USING btree ("account_id","status","severity");--> statement-breakpoint
CREATE INDEX "findings_status_severity_idx" ON "findings" USING btree ("status","severity");--> statement-breakpoint
CREATE INDEX "findings_assignee_idx" ON "findings" USING btree ("assignee");--> statement-breakpoint
CREATE UNIQUE INDEX "job_runs_slot_idx" ON "job_runs" USING btree ("job","slot");--> statement-breakpoint
CREATE INDEX "posture_snapshots_account_idx" ON "posture_snapshots" USING btree ("account_id","taken_at");--> statement-breakpoint
CREATE INDEX "remediation_requests_status_idx" ON "remediation_requests" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "remediation_requests_finding_idx" ON "remediation_requests" USING btree ("finding_id");--> statement-breakpoint
CREATE INDEX "scan_targets_account_idx" ON "scan_targets" USING btree ("account_id","source","region","finished_at");--> statement-breakpoint
CREATE INDEX "scans_started_at_idx" ON "scans" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "suppressions_active_idx" ON "suppressions" USING btree ("expires_at") WHERE "suppressions"."lifted_at" is null;