CREATE TABLE "compliance_snapshots" (
	"id" serial PRIMARY KEY NOT NULL,
	"scan_id" integer,
	"taken_at" timestamp with time zone NOT NULL,
	"scope" text NOT NULL,
	"scope_id" text NOT NULL,
	"standard_id" text NOT NULL,
	"passed" integer NOT NULL,
	"failed" integer NOT NULL,
	"unknown" integer NOT NULL,
	"no_data" integer NOT NULL,
	"disabled" integer NOT NULL,
	"score" integer,
	CONSTRAINT "compliance_snapshots_scope_check" CHECK ("scope" in ('organization', 'ou', 'account'))
);
--> statement-breakpoint
CREATE TABLE "control_results" (
	"id" serial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"product_arn" text DEFAULT '' NOT NULL,
	"external_id" text NOT NULL,
	"account_id" text NOT NULL,
	"region" text NOT NULL,
	"control_id" text NOT NULL,
	"resource_id" text NOT NULL,
	"status" text NOT NULL,
	"suppressed" boolean DEFAULT false NOT NULL,
	"standards" text[] DEFAULT '{}' NOT NULL,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"evaluated_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone NOT NULL,
	"last_scan_id" integer,
	CONSTRAINT "control_results_source_check" CHECK ("source" in ('securityhub', 'credential-report')),
	CONSTRAINT "control_results_status_check" CHECK ("status" in ('PASSED', 'FAILED', 'WARNING', 'NOT_AVAILABLE'))
);
--> statement-breakpoint
CREATE TABLE "control_statuses" (
	"account_id" text NOT NULL,
	"standard_id" text NOT NULL,
	"control_id" text NOT NULL,
	"security_control_id" text,
	"status" text NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"unknown" integer DEFAULT 0 NOT NULL,
	"passed" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "control_statuses_account_id_standard_id_control_id_pk" PRIMARY KEY("account_id","standard_id","control_id"),
	CONSTRAINT "control_statuses_status_check" CHECK ("status" in ('failed', 'unknown', 'passed', 'no-data', 'disabled'))
);
--> statement-breakpoint
CREATE TABLE "disabled_controls" (
	"account_id" text NOT NULL,
	"region" text NOT NULL,
	"standard_id" text NOT NULL,
	"control_id" text NOT NULL,
	"reason" text,
	"read_at" timestamp with time zone NOT NULL,
	CONSTRAINT "disabled_controls_account_id_region_standard_id_control_id_pk" PRIMARY KEY("account_id","region","standard_id","control_id")
);
--> statement-breakpoint
CREATE TABLE "enabled_standards" (
	"account_id" text NOT NULL,
	"region" text NOT NULL,
	"standard_id" text NOT NULL,
	"subscription_arn" text NOT NULL,
	"status" text NOT NULL,
	"read_at" timestamp with time zone NOT NULL,
	CONSTRAINT "enabled_standards_account_id_region_standard_id_pk" PRIMARY KEY("account_id","region","standard_id")
);
--> statement-breakpoint
CREATE TABLE "security_controls" (
	"control_id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"requirements" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "standard_controls" (
	"standard_id" text NOT NULL,
	"control_id" text NOT NULL,
	"title" text NOT NULL,
	"requirements" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "standard_controls_standard_id_control_id_pk" PRIMARY KEY("standard_id","control_id")
);
--> statement-breakpoint
ALTER TABLE "compliance_snapshots" ADD CONSTRAINT "compliance_snapshots_scan_id_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "public"."scans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "compliance_snapshots_scope_idx" ON "compliance_snapshots" USING btree ("scope","scope_id","standard_id","taken_at");--> statement-breakpoint
CREATE UNIQUE INDEX "control_results_identity_idx" ON "control_results" USING btree ("source","product_arn","external_id");--> statement-breakpoint
CREATE INDEX "control_results_account_idx" ON "control_results" USING btree ("account_id","control_id");--> statement-breakpoint
CREATE INDEX "control_statuses_standard_idx" ON "control_statuses" USING btree ("standard_id","status");