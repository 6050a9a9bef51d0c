"""Otklik's shared language: pydantic domain models and event types. No I/O lives here."""
