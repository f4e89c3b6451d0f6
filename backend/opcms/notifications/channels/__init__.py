"""Notification channels behind one contract (:mod:`.contract`), registered by kind
(:mod:`.registry`). The built-in kinds — ``wecom_bot``, ``wecom_app``, ``email`` and ``sms`` — are
registered by :func:`opcms.wiring.wire`."""

from opcms.notifications.channels.contract import (
    Channel,
    ChannelConfigError,
    ChannelSecrets,
    ChannelSettings,
    Health,
    OutgoingMessage,
    SendResult,
)
from opcms.notifications.channels.registry import (
    build_channel,
    channel_kinds,
    get_channel_class,
    register_channel,
)

__all__ = [
    "Channel",
    "ChannelConfigError",
    "ChannelSecrets",
    "ChannelSettings",
    "Health",
    "OutgoingMessage",
    "SendResult",
    "build_channel",
    "channel_kinds",
    "get_channel_class",
    "register_channel",
]
