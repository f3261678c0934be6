CREATE TABLE "scan_target_results" (
	"scan_id" integer NOT NULL,
	"target" integer NOT NULL,
	"status" text NOT NULL,
	"findings" integer NOT NULL,
	"throttles" integer NOT NULL,
	"result" jsonb NOT NULL,
	CONSTRAINT "scan_target_results_scan_id_target_pk" PRIMARY KEY("scan_id","target"),
	CONSTRAINT "scan_target_results_status_check" CHECK ("status" in ('ok', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "scans" ADD COLUMN "plan" jsonb;--> statement-breakpoint
ALTER TABLE "scan_target_results" ADD CONSTRAINT "scan_target_results_scan_id_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "public"."scans"("id") ON DELETE cascade ON UPDATE no action;