CREATE TABLE "sync_cursors" (
	"source" text NOT NULL,
	"scope" text NOT NULL,
	"synced_at" timestamp with time zone NOT NULL,
	"full_synced_at" timestamp with time zone,
	CONSTRAINT "sync_cursors_source_scope_pk" PRIMARY KEY("source","scope")
);
