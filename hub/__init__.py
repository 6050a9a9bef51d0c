"""The core: ingest pipeline, conversation lifecycle, outbox, stores and the event bus."""
