"""Integration tests: customers."""
