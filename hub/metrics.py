"""Prometheus metrics the hub exports on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INBOUND = Counter("otklik_inbound_messages_total", "Inbound messages by channel and outcome", ["channel", "outcome"])
OUTBOUND = Counter(
    "otklik_outbound_messages_total", "Outbound send attempts by channel and result", ["channel", "result"]
)
INGEST_SECONDS = Histogram("otklik_ingest_seconds", "Time to ingest one inbound message in the worker")
SEND_SECONDS = Histogram("otklik_send_seconds", "Time of one outbound send attempt", ["channel"])
HTTP_REQUESTS = Counter("otklik_http_requests_total", "HTTP requests by route and status", ["route", "status"])
HTTP_SECONDS = Histogram("otklik_http_request_seconds", "HTTP request latency by route", ["route"])
