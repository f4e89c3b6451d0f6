"""Per-channel rate limits (a WeCom group bot accepts 20 messages a minute).

With Redis (``settings.rate_limit_redis_url``): a token bucket per channel, one Lua script so
that every worker takes tokens atomically; the bucket holds ``rate_per_minute`` tokens and
refills at ``rate_per_minute / 60`` a second, so a burst of 20 goes at once and the 21st waits
about three seconds for its token. Without Redis (the embedded install), or when Redis does
not answer: a sliding window over the database — the channel's messages sent (or being sent)
in the last 60 s. The fallback is approximate under concurrent workers; Redis is not.

``acquire`` answers how long to wait: 0 means a token was taken and the message may go now.
``now`` may be given (tests move time instead of sleeping).
"""

from __future__ import annotations

import datetime as dt
import logging
import math


from tortoise.expressions import Q

from opcms.core.settings import get_settings
from opcms.notifications.models import Notification, NotificationStatus

log = logging.getLogger("opcms.notifications")

WINDOW_SECONDS = 60
KEY_PREFIX = "opcms:notifications:bucket:"

# KEYS[1] the bucket; ARGV capacity, tokens per millisecond, now (ms). Returns the wait in ms.
TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 60000)
return wait
"""


def bucket_key(channel_id: int) -> str:
    return f"{KEY_PREFIX}{channel_id}"


async def take_redis_token(redis_url: str, channel_id: int, rate_per_minute: int, now: float) -> float:
    """Seconds to wait for a token of the channel's bucket in Redis (0: taken)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        waited_ms = await client.eval(
            TOKEN_BUCKET, 1, bucket_key(channel_id), rate_per_minute, rate_per_minute / 60_000, int(now * 1000)
        )
    finally:
        await client.aclose()
    return int(waited_ms) / 1000


async def window_wait(channel_id: int, rate_per_minute: int, now: dt.datetime, notification_id: int | None) -> float:
    """Seconds until the channel has sent fewer than ``rate_per_minute`` messages in the last
    minute (0: it has already), counted in the database."""
    since = now - dt.timedelta(seconds=WINDOW_SECONDS)
    recent = Notification.filter(channel_id=channel_id).filter(
        Q(status=NotificationStatus.SENT, sent_at__gt=since) | Q(status=NotificationStatus.SENDING, updated_at__gt=since)
    )
    if notification_id is not None:
        recent = recent.exclude(id=notification_id)
    if await recent.count() < rate_per_minute:
        return 0.0
    # the window frees a place when its oldest send leaves it
    times = await recent.order_by("-id").limit(rate_per_minute * 2).values_list("sent_at", "updated_at")
    oldest = min((sent or updated) for sent, updated in times)
    return max(1.0, math.ceil((oldest + dt.timedelta(seconds=WINDOW_SECONDS) - now).total_seconds()))


async def acquire(
    channel_id: int, rate_per_minute: int | None, *, now: dt.datetime, notification_id: int | None = None
) -> float:
    """Take the right to send one message on the channel now: 0, or the seconds to wait."""
    if not rate_per_minute or rate_per_minute <= 0:
        return 0.0
    redis_url = get_settings().rate_limit_redis_url
    if redis_url:
        try:
            return await take_redis_token(redis_url, channel_id, rate_per_minute, now.timestamp())
        except Exception as error:  # Redis down: the database still knows what was sent
            log.warning("rate limit: Redis unavailable (%s); counting sends in the database", error)
    return await window_wait(channel_id, rate_per_minute, now, notification_id)


