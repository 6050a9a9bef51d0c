"""Integration tests: inbox."""
