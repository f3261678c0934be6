CREATE SEQUENCE "public"."finding_sightings" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
ALTER TABLE "control_results" ADD COLUMN "seen_seq" bigint;--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "seen_seq" bigint;--> statement-breakpoint
ALTER TABLE "scans" ADD COLUMN "sightings_from" bigint;