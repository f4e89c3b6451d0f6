"""Data sources: what the pull needs to build an adapter for one (settings + decrypted secrets)."""

from __future__ import annotations

from opcms.core.secrets import decrypt_json
from opcms.usage.adapters import SourceConfig
from opcms.usage.models import DataSource


def config_of(source: DataSource) -> SourceConfig:
    return SourceConfig(
        name=source.name,
        adapter=source.adapter,
        settings=dict(source.settings or {}),
        secrets=decrypt_json(source.secrets_encrypted),
        timeout_seconds=float(source.timeout_seconds),
    )
