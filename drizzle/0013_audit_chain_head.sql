CREATE TABLE "audit_chain_head" (
	"one" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_chain_head_one_row" CHECK ("audit_chain_head"."one")
);
--> statement-breakpoint
-- The head starts where the chain stands: its last event, or the genesis hash when it is empty.
INSERT INTO "audit_chain_head" ("one", "seq", "hash")
SELECT true, COALESCE(MAX("seq"), 0),
  COALESCE((SELECT "hash" FROM "audit_events" ORDER BY "seq" DESC LIMIT 1), repeat('0', 64))
FROM "audit_events";
