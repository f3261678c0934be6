ALTER TABLE "digests_sent" ADD CONSTRAINT "digests_sent_kind_check" CHECK ("kind" in ('daily', 'weekly'));--> statement-breakpoint
ALTER TABLE "digests_sent" ADD CONSTRAINT "digests_sent_status_check" CHECK ("status" in ('pending', 'sent', 'failed'));--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_source_check" CHECK ("source" in ('securityhub', 'credential-report'));--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_severity_check" CHECK ("severity" in ('critical', 'high', 'medium', 'low', 'informational'));--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_status_check" CHECK ("status" in ('open', 'acknowledged', 'suppressed', 'resolved'));--> statement-breakpoint
ALTER TABLE "job_runs" ADD CONSTRAINT "job_runs_outcome_check" CHECK ("outcome" in ('running', 'succeeded', 'failed', 'skipped', 'cancelled', 'abandoned'));--> statement-breakpoint
ALTER TABLE "remediation_decisions" ADD CONSTRAINT "remediation_decisions_decision_check" CHECK ("decision" in ('approve', 'reject'));--> statement-breakpoint
ALTER TABLE "remediation_requests" ADD CONSTRAINT "remediation_requests_status_check" CHECK ("status" in ('pending', 'rejected', 'expired', 'executing', 'succeeded', 'unverified', 'failed', 'dry-run', 'needs-attention'));--> statement-breakpoint
ALTER TABLE "remediation_requests" ADD CONSTRAINT "remediation_requests_mode_check" CHECK ("mode" in ('dry-run', 'execute'));--> statement-breakpoint
ALTER TABLE "scan_targets" ADD CONSTRAINT "scan_targets_source_check" CHECK ("source" in ('securityhub', 'credential-report'));--> statement-breakpoint
ALTER TABLE "scan_targets" ADD CONSTRAINT "scan_targets_status_check" CHECK ("status" in ('ok', 'failed'));--> statement-breakpoint
ALTER TABLE "scan_targets" ADD CONSTRAINT "scan_targets_failure_kind_check" CHECK ("failure_kind" in ('role-denied', 'throttled', 'timeout', 'securityhub-disabled', 'report-unavailable', 'report-malformed', 'error'));--> statement-breakpoint
ALTER TABLE "scans" ADD CONSTRAINT "scans_kind_check" CHECK ("kind" in ('full', 'incremental'));--> statement-breakpoint
ALTER TABLE "scans" ADD CONSTRAINT "scans_trigger_check" CHECK ("trigger" in ('cli', 'schedule', 'slack', 'demo'));--> statement-breakpoint
ALTER TABLE "scans" ADD CONSTRAINT "scans_status_check" CHECK ("status" in ('running', 'completed', 'failed', 'cancelled', 'abandoned'));--> statement-breakpoint
ALTER TABLE "sync_cursors" ADD CONSTRAINT "sync_cursors_source_check" CHECK ("source" in ('securityhub', 'credential-report'));