"""The caps on Redis: one Lua script checks and spends every cap of an offer atomically, for every process and
worker sharing the Redis; the offer record then goes to the campaign store.

Keys under the prefix: `campaign:turn:<offer id>` (the customer's one turn in a campaign),
`campaign:made:<campaign>` (its budget spent), `campaign:week:<customer>:<week>` (offers that week; expires).
A record reserved here but not yet stored (the process died between) is stored by the retry, which finds its
turn taken by the same offer id and replays.
"""

from __future__ import annotations

from redis.asyncio import Redis

from hub.stores.campaigns import CampaignStore
from models.campaigns import CapLimits, OfferRecord, Reservation

WEEK_TTL = 8 * 24 * 3600  # a week's counter outlives its week, and no longer
RESERVE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'replayed' end
if ARGV[1] == '0' then
  local budget = tonumber(ARGV[2])
  if budget >= 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= budget then return 'budget' end
  if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[3]) then return 'weekly_limit' end
  redis.call('INCR', KEYS[2])
  redis.call('INCR', KEYS[3])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[1])
return 'ok'
"""


class RedisCapLedger:
    """CapLedger on Redis in front of a campaign store."""

    def __init__(self, redis: Redis, store: CampaignStore, prefix: str = "otklik:") -> None:
        self.redis, self.store, self.prefix = redis, store, prefix
        self._script = redis.register_script(RESERVE)

    async def reserve(self, record: OfferRecord, limits: CapLimits) -> Reservation:
        """Spend the caps in Redis, then store the record (or find the earlier one)."""
        p = f"{self.prefix}campaign:"
        keys = [f"{p}turn:{record.id}", f"{p}made:{record.campaign_id}", f"{p}week:{record.customer_id}:{record.week}"]
        args = ["1" if record.control else "0", -1 if limits.budget is None else limits.budget, limits.weekly_limit,
                WEEK_TTL]
        outcome = await self._script(keys=keys, args=args)
        outcome = outcome.decode() if isinstance(outcome, bytes) else str(outcome)
        if outcome in ("budget", "weekly_limit"):
            return Reservation(refused=outcome)
        # Lua's word decides who won; the store keeps whichever copy arrived first (a replay stores it too, in
        # case the winner died between the script and its insert).
        return Reservation(record=await self.store.record(record), replayed=outcome == "replayed")
