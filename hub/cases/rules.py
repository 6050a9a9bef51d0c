"""Routing: which group a new case goes to first, by request type, store, region and channel.

The catalogue's rules are tried top to bottom; the first whose conditions all match decides. Without a
matching rule the type's own group decides. "store" means the queue of the case's store (`store:<id>`).
"""

from __future__ import annotations

from hub.cases.catalogue import STORE, Catalogue, RoutingRule
from models.channels import Channel
from models.errors import PayloadError
from models.staff import store_group_id


def _matches(rule: RoutingRule, request_type: str, store_id: str | None, region: str | None,
             channel: Channel) -> bool:
    return (
        (rule.request_type is None or request_type in rule.request_type)
        and (rule.store_id is None or store_id in rule.store_id)
        and (rule.region is None or region in rule.region)
        and (rule.channel is None or channel in rule.channel)
    )


def first_group(
    catalogue: Catalogue, request_type: str, *, store_id: str | None, region: str | None, channel: Channel
) -> str:
    """The group a new case of this kind goes to; PayloadError when it needs a store and has none."""
    target = next(
        (rule.group for rule in catalogue.rules if _matches(rule, request_type, store_id, region, channel)),
        catalogue.types[request_type].group,
    )
    if target != STORE:
        return target
    if store_id is None:
        raise PayloadError(f"store_id: a {request_type} case goes to the store's queue, so it needs the store")
    return store_group_id(store_id)
