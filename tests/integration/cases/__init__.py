"""Integration tests: cases."""
