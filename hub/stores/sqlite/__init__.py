"""SQLite adapters of the store ports (the embedded default), one module per feature."""
