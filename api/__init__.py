"""FastAPI app: channel webhooks, web chat, health and metrics; the CLI entry point."""
