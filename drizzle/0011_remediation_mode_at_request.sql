-- The mode is now fixed when a request is made. Requests made before this had none until they ran:
-- those still waiting (or ended without running) are dry runs, so an upgrade never turns one into a change.
UPDATE "remediation_requests" SET "mode" = 'dry-run' WHERE "mode" IS NULL;--> statement-breakpoint
ALTER TABLE "remediation_requests" ALTER COLUMN "mode" SET NOT NULL;
