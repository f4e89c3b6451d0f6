"""Channel kinds by name: ``register_channel`` adds one, ``build_channel`` makes one from a
stored configuration."""

from __future__ import annotations

from typing import Any

from opcms.notifications.channels.contract import Channel, ChannelConfigError

_KINDS: dict[str, type[Channel]] = {}


def register_channel(channel_class: type[Channel]) -> type[Channel]:
    if not channel_class.kind:
        raise ValueError(f"{channel_class.__name__} has no kind")
    _KINDS[channel_class.kind] = channel_class
    return channel_class


def channel_kinds() -> list[str]:
    return sorted(_KINDS)


def get_channel_class(kind: str) -> type[Channel]:
    try:
        return _KINDS[getattr(kind, "value", kind)]
    except KeyError:
        raise ChannelConfigError(
            f"unknown channel kind {kind!r}; known: {', '.join(channel_kinds())}",
            [{"field": "kind", "message": "unknown channel kind"}],
        ) from None


def build_channel(kind: str, settings: dict[str, Any], secrets: dict[str, Any]) -> Channel:
    return get_channel_class(kind)(settings, secrets)
