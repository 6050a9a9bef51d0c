"""Integration tests: directory."""
