"""Integration tests: channels."""
