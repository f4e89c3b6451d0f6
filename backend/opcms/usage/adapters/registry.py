"""Adapters by name. A new vendor is one class registered with :func:`register_adapter`; its
``name`` is what ``data_source.adapter`` stores. The built-ins (``http_json``, ``file``,
``demo``) are registered by :func:`opcms.wiring.wire`, one line each.
"""

from __future__ import annotations

import inspect

import httpx

from opcms.usage.adapters.contract import AdapterConfigError, SourceConfig, UsageAdapter

__all__ = ["UnknownAdapter", "adapter_names", "build_adapter", "get_adapter_class", "register_adapter"]

_ADAPTERS: dict[str, type[UsageAdapter]] = {}


class UnknownAdapter(AdapterConfigError, LookupError):
    """No adapter is registered under that name (not retryable)."""


def register_adapter(cls: type[UsageAdapter]) -> type[UsageAdapter]:
    """Class decorator: make ``cls`` buildable by its ``name``.

    Registering the same class again is harmless (a module reloaded); another class under a
    name already taken is a programming error (``ValueError``).
    """
    if not (isinstance(cls, type) and issubclass(cls, UsageAdapter)):
        raise TypeError(f"{cls!r} is not a UsageAdapter subclass")
    if inspect.isabstract(cls):
        raise TypeError(f"{cls.__name__} does not implement {sorted(cls.__abstractmethods__)}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.strip() or len(name) > 32:
        raise ValueError(f"{cls.__name__}.name must be a non-empty string of at most 32 characters")
    existing = _ADAPTERS.get(name)
    if existing is not None and (existing.__module__, existing.__qualname__) != (
        cls.__module__,
        cls.__qualname__,
    ):
        raise ValueError(f"adapter name {name!r} is taken by {existing.__module__}.{existing.__qualname__}")
    _ADAPTERS[name] = cls
    return cls


def get_adapter_class(name: str) -> type[UsageAdapter]:
    try:
        return _ADAPTERS[name]
    except KeyError:
        known = ", ".join(adapter_names()) or "none"
        raise UnknownAdapter(
            f"unknown usage adapter {name!r} (known: {known})",
            details=[{"field": "adapter", "message": f"unknown adapter {name!r}; known: {known}"}],
        ) from None


def adapter_names() -> list[str]:
    return sorted(_ADAPTERS)


def build_adapter(config: SourceConfig, http: httpx.AsyncClient | None = None) -> UsageAdapter:
    """The adapter ``config.adapter`` names, built (settings checked) from ``config``.

    Raises :class:`UnknownAdapter` or :class:`AdapterConfigError`.
    """
    return get_adapter_class(config.adapter)(config, http=http)
