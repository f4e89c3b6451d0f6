"""Per-channel rate limits (a WeCom group bot accepts 20 messages a minute).

The limit is "at most ``rate_per_minute`` messages in any 60 seconds". A classic token bucket
(capacity 20, refilled at 20 a minute) would let a 21st message through three seconds after
a burst of 20 — and WeCom refuses it (errcode 45009). So the bucket here gives each token
back exactly 60 s after it was taken: a burst of 20 goes at once, the 21st waits until the
first of them is a minute old.

With Redis (``settings.rate_limit_redis_url``) the bucket is a sorted set of the times its
tokens were taken, kept by one Lua script so that every worker takes tokens atomically.
Without Redis (the embedded install), or when Redis does not answer, the same rule is counted
in the database: the channel's messages sent (or being sent) in the last 60 s — approximate
under concurrent workers, where Redis is exact.

``acquire`` answers how long to wait: 0 means a token was taken and the message may go now.
``now`` is given by the caller (tests move time instead of sleeping).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid

from redis.exceptions import RedisError
from tortoise.expressions import Q

from opcms.core.settings import get_settings
from opcms.notifications.models import Notification, NotificationStatus

log = logging.getLogger("opcms.notifications")

WINDOW_SECONDS = 60
KEY_PREFIX = "opcms:notifications:bucket:"

# KEYS[1] the bucket; ARGV capacity, window (ms), now (ms), a unique token id.
# Returns 0 (a token was taken) or the milliseconds until the oldest token comes back.
TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < capacity then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


def bucket_key(channel_id: int) -> str:
    return f"{KEY_PREFIX}{channel_id}"


async def take_redis_token(redis_url: str, channel_id: int, rate_per_minute: int, now: float) -> float:
    """Seconds to wait for a token of the channel's bucket in Redis (0: taken)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        waited_ms = await client.eval(
            TOKEN_BUCKET,
            1,
            bucket_key(channel_id),
            rate_per_minute,
            WINDOW_SECONDS * 1000,
            int(now * 1000),
            uuid.uuid4().hex,
        )
    finally:
        await client.aclose()
    return int(waited_ms) / 1000


async def window_wait(
    channel_id: int, rate_per_minute: int, now: dt.datetime, notification_id: int | None
) -> float:
    """Seconds until the channel has sent fewer than ``rate_per_minute`` messages in the last
    minute (0: it has already), counted in the database."""
    since = now - dt.timedelta(seconds=WINDOW_SECONDS)
    recent = Notification.filter(channel_id=channel_id).filter(
        Q(status=NotificationStatus.SENT, sent_at__gt=since)
        | Q(status=NotificationStatus.SENDING, updated_at__gt=since)
    )
    if notification_id is not None:
        recent = recent.exclude(id=notification_id)
    count = await recent.count()
    if count < rate_per_minute:
        return 0.0
    # a place is free once all but rate_per_minute - 1 of the sends in the window have left it
    rows = await recent.values_list("sent_at", "updated_at")
    times = sorted(sent or updated for sent, updated in rows)
    freeing = times[min(len(times) - 1, count - rate_per_minute)]
    return max(1.0, math.ceil((freeing + dt.timedelta(seconds=WINDOW_SECONDS) - now).total_seconds()))


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
        except (RedisError, OSError) as error:  # Redis down: the database still knows what was sent
            log.warning("rate limit: Redis unavailable (%s); counting sends in the database", error)
    return await window_wait(channel_id, rate_per_minute, now, notification_id)
