"""Partition leases on Redis: one consumer of a group owns a stream at a time, so its entries run in order.

Two workers reading one partition would run one customer's consecutive messages in parallel (issue 16:
163 of 300 shoppers got replies out of order with two workers). A lease is the key
`{prefix}{stream}:{group}:owner` holding its owner's consumer name with a time to live that the owner's
heartbeat renews every `ttl / 5`. A worker killed with -9 stops renewing: its leases expire after `ttl`
and the survivors take them over together with the entries the dead one left pending, oldest first.
The owner stops taking entries once its last renewal is older than `0.8 * ttl`, before the key can expire.

Each consumer also beats in the sorted set `{prefix}members:{group}`, so workers share the partitions:
one holds at most ceil(partitions / live members) and gives extras back when another worker joins.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from hub.bus.bounded import COMMAND_LIMIT, bounded

# renew-or-take: the owner's call prolongs its lease, anyone's call takes a free one
_ACQUIRE = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if owner then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""
# the server's clock, so workers on machines with skewed clocks agree on who is alive
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
"""


@dataclass
class Share:
    """One consumer's part of a group in this process: the streams it reads and the leases it holds."""

    leases: list[Lease] = field(default_factory=list)
    members: int = 1  # live consumers of the group, from the last heartbeat

    def fair(self) -> int:
        """How many streams this consumer may own while the others are alive."""
        return math.ceil(len(self.leases) / max(1, self.members))

    def taken(self) -> int:
        return sum(lease.held or lease.trying for lease in self.leases)


class Lease:
    """One consumer's ownership of one stream of a group."""

    def __init__(self, redis: Callable[[], Redis], key: str, consumer: str, share: Share, *, ttl: float,
                 members_key: str) -> None:
        self._redis = redis
        self.key = key
        self.consumer = consumer
        self.share = share
        self.ttl = ttl
        self._members_key = members_key
        self.held = False
        self.trying = False
        self.valid_until = 0.0  # loop time after which the lease may have expired on the server

    @property
    def _ttl_ms(self) -> int:
        return max(1, int(self.ttl * 1000))

    def valid(self) -> bool:
        """Whether this consumer may start another entry of the stream."""
        return self.held and asyncio.get_running_loop().time() < self.valid_until

    def over_share(self) -> bool:
        return self.held and self.share.taken() > self.share.fair()

    async def acquire(self) -> bool:
        """Take the stream if it is free (or renew it if still ours) and this consumer is under its share."""
        if not self.held and self.share.taken() >= self.share.fair():
            return False
        self.trying = True  # counted in the share meanwhile, so sibling streams do not all grab at once
        try:
            started = asyncio.get_running_loop().time()
            won = await self._script(_ACQUIRE, self.key)
        finally:
            self.trying = False
        self._settled(bool(won), started)
        return self.held

    async def renew(self) -> None:
        """The heartbeat: prolong the lease, or learn that it is lost."""
        started = asyncio.get_running_loop().time()
        self._settled(bool(await self._script(_RENEW, self.key)), started)

    async def release(self) -> None:
        """Give the stream back at once (a stop or a rebalance), instead of letting it expire."""
        if not self.held:
            return
        self.held = False
        await self._script(_RELEASE, self.key)

    async def beat(self) -> None:
        """Say this consumer is alive and learn how many are."""
        self.share.members = int(await self._script(_BEAT, self._members_key))

    def _settled(self, ours: bool, started: float) -> None:
        self.held = ours
        if ours:
            self.valid_until = started + self.ttl * 0.8

    async def _script(self, script: str, key: str) -> Any:
        call = self._redis().eval(script, 1, key, self.consumer, self._ttl_ms)
        return await bounded(call, COMMAND_LIMIT, f"lease script on {key}")


class Leases:
    """Every lease of a bus, grouped by (group, consumer)."""

    def __init__(self, redis: Callable[[], Redis], prefix: str, ttl: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self.ttl = ttl
        self._shares: dict[tuple[str, str], Share] = {}

    def lease(self, key: str, group: str, consumer: str) -> Lease:
        """Register a stream this consumer reads; its lease is not taken yet."""
        share = self._shares.setdefault((group, consumer), Share())
        lease = Lease(self._redis, f"{key}:{group}:owner", consumer, share, ttl=self.ttl,
                      members_key=f"{self._prefix}members:{group}")
        share.leases.append(lease)
        return lease

    def forget(self, lease: Lease) -> None:
        """The stream's consumer ended."""
        lease.share.leases.remove(lease)
