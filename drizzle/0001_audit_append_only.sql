-- The audit trail is append-only: the database itself refuses to change or remove an event.
-- Only the table's owner can get around this (ALTER TABLE … DISABLE TRIGGER), and `warden audit verify`
-- then finds the rewritten event through its hash chain.
CREATE FUNCTION warden_audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION warden_audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION warden_audit_events_append_only();
