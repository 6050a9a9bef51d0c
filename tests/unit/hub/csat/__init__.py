"""Unit tests: hub/csat."""
