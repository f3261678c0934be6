CREATE TABLE "alert_messages" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"account_id" text,
	"finding_ids" integer[] NOT NULL,
	"posted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "alert_messages_kind_check" CHECK ("kind" in ('account', 'summary', 'dm'))
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" serial PRIMARY KEY NOT NULL,
	"finding_id" integer NOT NULL,
	"occurrence" integer NOT NULL,
	"account_id" text NOT NULL,
	"queued_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"claimed_by" text,
	"claimed_at" timestamp with time zone,
	"message_id" integer,
	"posted_at" timestamp with time zone,
	"skip_reason" text,
	CONSTRAINT "alerts_status_check" CHECK ("status" in ('pending', 'claimed', 'posted', 'skipped'))
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_finding_id_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_message_id_alert_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."alert_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_occurrence_idx" ON "alerts" USING btree ("finding_id","occurrence");--> statement-breakpoint
CREATE INDEX "alerts_waiting_idx" ON "alerts" USING btree ("queued_at") WHERE "alerts"."status" in ('pending', 'claimed');