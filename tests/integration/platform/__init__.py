"""Integration tests: platform."""
