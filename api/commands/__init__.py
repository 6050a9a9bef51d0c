"""CLI command groups per channel (registered in api/cli.py)."""
