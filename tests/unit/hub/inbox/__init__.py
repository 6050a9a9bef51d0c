"""Unit tests: hub/inbox."""
