"""The event bus: a port with a Redis Streams adapter (production) and an in-process one (embedded)."""
