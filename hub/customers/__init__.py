"""Customers: identity (proven vs claimed), claims and one-time-code verification, addresses, profiles and merges."""

from hub.customers import claims, profiles, verification
from hub.customers.addresses import route_on
from hub.customers.identity import identity_on

__all__ = ["claims", "identity_on", "profiles", "route_on", "verification"]
