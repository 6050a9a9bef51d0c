"""MongoDB adapters of the store ports (PyMongo's async client), one module per feature."""
