"""Integration tests: csat."""
