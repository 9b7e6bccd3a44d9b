"""Shared token buckets: the rate limit held across workers and replicas, in Redis.

Each client's bucket is one Redis hash updated by a Lua script, so taking a token is one
atomic round trip (no read-modify-write race between workers) and the clock is Redis's
(workers on different machines need not agree on the time). When Redis cannot be reached
the limiter falls back to the process's own buckets and says so in the log, so an outage
of the store neither stops the service nor lifts the limit altogether.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

KEY_PREFIX = "sayso:rate:"
CONNECT_TIMEOUT_S = 0.5
WARN_EVERY_S = 60.0

TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""
"""Take one token from KEYS[1] (ARGV: rate per second, burst, expiry in ms); returns the
seconds until a token is free, as a string ("0" when one was taken)."""


class RedisBuckets:
    """Token buckets in Redis: `rate` tokens a second per client, at most `burst` saved up."""

    def __init__(
        self, url: str, rate: float, burst: int, *, timeout: float = CONNECT_TIMEOUT_S
    ) -> None:
        """`timeout`: seconds to connect or answer before the caller falls back (a request
        waits at most that long on a Redis that has gone away)."""
        from redis.asyncio import Redis

        self.rate = rate
        self.burst = burst
        # A full bucket refills in burst / rate seconds: after that the key is not needed.
        self.expiry_ms = math.ceil(burst / rate * 1000) + 1000
        self._redis: Redis = Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        self._script: Any = self._redis.register_script(TAKE)
        self._warned = -math.inf

    async def take(self, client: str) -> float | None:
        """Seconds until `client` may make a request (0: allowed now, a token was taken), or
        None when Redis could not answer (the caller falls back to its own buckets)."""
        try:
            wait = await self._script(
                keys=[KEY_PREFIX + client], args=[self.rate, self.burst, self.expiry_ms]
            )
        except Exception as exc:  # any Redis or network failure: degrade, never 500
            now = time.monotonic()
            if now - self._warned > WARN_EVERY_S:
                self._warned = now
                log.warning("rate limit store unreachable, limiting per process: %s", exc)
            return None
        return float(wait)

    async def close(self) -> None:
        await self._redis.aclose()
