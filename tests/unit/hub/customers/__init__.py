"""Unit tests: hub/customers."""
