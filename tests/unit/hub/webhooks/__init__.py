"""Unit tests: hub/webhooks."""
