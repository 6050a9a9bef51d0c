"""Unit tests: hub/inbound."""
