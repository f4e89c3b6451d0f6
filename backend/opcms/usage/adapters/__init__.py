"""Vendor adapters for usage collection, behind one contract (DESIGN §6).

Import from here: the contract (:class:`UsageAdapter`, :class:`VendorUsage`,
:class:`SourceConfig`, :class:`HealthResult`, the :class:`AdapterError` family) and the
registry (:func:`build_adapter`, :func:`get_adapter_class`, :func:`adapter_names`,
:func:`register_adapter`). The built-in adapters — ``http_json`` (a generic JSON-over-HTTP
vendor), ``file`` (CSV/Excel uploads) and ``demo`` (deterministic made-up usage) — are
registered by :func:`opcms.wiring.wire`. See :mod:`opcms.usage.adapters.contract` for why
records are raw text and why adapters never retry.
"""

from opcms.usage.adapters.contract import (
    AdapterConfigError,
    AdapterError,
    HealthResult,
    SourceConfig,
    UsageAdapter,
    VendorRejected,
    VendorResponseInvalid,
    VendorUnavailable,
    VendorUsage,
)
from opcms.usage.adapters.file import parse_usage_file
from opcms.usage.adapters.registry import (
    UnknownAdapter,
    adapter_names,
    build_adapter,
    get_adapter_class,
    register_adapter,
)

__all__ = [
    "AdapterConfigError",
    "AdapterError",
    "HealthResult",
    "SourceConfig",
    "UnknownAdapter",
    "UsageAdapter",
    "VendorRejected",
    "VendorResponseInvalid",
    "VendorUnavailable",
    "VendorUsage",
    "adapter_names",
    "build_adapter",
    "get_adapter_class",
    "parse_usage_file",
    "register_adapter",
]
