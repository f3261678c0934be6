ALTER TABLE "posture_snapshots" DROP COLUMN "controls_passed";--> statement-breakpoint
ALTER TABLE "posture_snapshots" DROP COLUMN "controls_failed";