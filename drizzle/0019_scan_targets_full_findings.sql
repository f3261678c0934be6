ALTER TABLE "scan_targets" ADD COLUMN "full" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "scan_targets" ADD COLUMN "findings" integer DEFAULT 0 NOT NULL;