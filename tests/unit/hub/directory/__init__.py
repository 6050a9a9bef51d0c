"""Unit tests: hub/directory."""
