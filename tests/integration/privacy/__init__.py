"""Integration tests: privacy."""
