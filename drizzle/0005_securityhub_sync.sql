ALTER TABLE "findings" ADD COLUMN "aws_synced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "aws_sync_error" text;