"""Outbound webhooks for the CRM and other systems, signed per the Standard Webhooks specification.

    events stream ──► fanout (group "webhooks") ──► one Delivery per matching active subscription
                                                      │ (store: the durable queue, unique per event)
    dispatcher loop ◄── due lane heads ◄──────────────┘
        claim (lease) ─► sign ─► POST ─► delivered | failed (backoff + jitter) | dead
    replay (API, CLI) ─► the same delivery due again: same webhook-id, same body

Modules: `subscriptions` (create, event catalogue), `payloads` (the versioned JSON), `signing`
(headers and secrets), `retries` (policy and outcomes), `fanout`, `dispatcher`, `replay`, `runner`.
"""

from hub.webhooks import replay, subscriptions

__all__ = ["replay", "subscriptions"]
