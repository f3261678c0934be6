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
	"account_id" text NOT NULL,
	"region" text NOT NULL,
	"standard_id" text NOT NULL,
	"control_id" text NOT NULL,
	"title" text NOT NULL,
	"status" text NOT NULL,
	"disabled_reason" text,
	"requirements" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"read_at" timestamp with time zone NOT NULL,
	CONSTRAINT "standard_controls_account_id_region_standard_id_control_id_pk" PRIMARY KEY("account_id","region","standard_id","control_id"),
	CONSTRAINT "standard_controls_status_check" CHECK ("status" in ('ENABLED', 'DISABLED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "control_results_identity_idx" ON "control_results" USING btree ("source","product_arn","external_id");--> statement-breakpoint
CREATE INDEX "control_results_account_idx" ON "control_results" USING btree ("account_id","control_id");