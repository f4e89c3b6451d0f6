"""Notification channels behind one contract (:mod:`.contract`), registered by kind
(:mod:`.registry`). Importing this package registers the built-in kinds: ``wecom_bot``,
``wecom_app``, ``email`` and ``sms``."""

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

# the built-ins register themselves on import
from opcms.notifications.channels import email, sms, wecom_app, wecom_bot  # noqa: F401  isort: skip

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
