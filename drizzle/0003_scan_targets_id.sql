ALTER TABLE "scan_targets" DROP CONSTRAINT "scan_targets_scan_id_account_id_region_source_pk";--> statement-breakpoint
ALTER TABLE "scan_targets" ADD COLUMN "id" serial PRIMARY KEY NOT NULL;--> statement-breakpoint
CREATE INDEX "scan_targets_scan_idx" ON "scan_targets" USING btree ("scan_id");