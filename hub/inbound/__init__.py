"""Inbound: accept, dispatch of channel events, ingest (dedupe, identity, thread, store), threads, calls."""

from hub.inbound.accept import accept, acceptor

__all__ = ["accept", "acceptor"]
