ALTER TABLE "digests_sent" ADD COLUMN "message" jsonb;--> statement-breakpoint
ALTER TABLE "digests_sent" ADD COLUMN "chart" text;--> statement-breakpoint
ALTER TABLE "digests_sent" ADD COLUMN "posted_channel" text;