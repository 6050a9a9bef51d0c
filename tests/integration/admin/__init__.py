"""Integration tests: admin."""
