"""Data sources: configure them (adapter, settings, encrypted secrets), check their health, map
customers to the vendor's account ids, and take usage files for ``file`` sources (DESIGN §6).

Secrets are a JSON object encrypted with Fernet (:mod:`opcms.core.secrets`); only their names
ever leave this module. A config is checked by its adapter class before it is stored, so a
source that is saved can be built (unless its secrets became unreadable under a new key).

Uploads of usage files for ``file`` sources: :mod:`opcms.usage.uploads`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.core.errors import Conflict, ValidationFailed
from opcms.core.i18n import Message
from opcms.core.models import ChosenName, get_or_404
from opcms.core.schemas import patch_changes
from opcms.core.secrets import SecretUnreadable, decrypt_json, encrypted, take_secrets
from opcms.customers.models import Customer
from opcms.usage.adapters import (
    AdapterConfigError,
    AdapterError,
    HealthResult,
    SourceConfig,
    UnknownAdapter,
    build_adapter,
    get_adapter_class,
)
from opcms.usage.adapters.file import FileUsageAdapter
from opcms.usage.models import CustomerSourceAccount, DataSource, account_key_of
from opcms.usage.sources.queries import get_source
from opcms.usage.sources.schemas import AccountMappingCreate, DataSourceCreate, DataSourceUpdate

log = logging.getLogger("opcms.usage")

FILE_ADAPTER = FileUsageAdapter.name
#: where a ``file`` source keeps its uploads when its settings name no directory (under OPCMS_VAR_DIR)
DEFAULT_UPLOAD_ROOT = "usage-uploads"


def config_of(source: DataSource) -> SourceConfig:
    return SourceConfig(
        name=source.name,
        adapter=source.adapter,
        settings=dict(source.settings or {}),
        secrets=decrypt_json(source.secrets_encrypted),
        timeout_seconds=float(source.timeout_seconds),
    )


# --- configuring -------------------------------------------------------------------------------
def check_config(adapter: str, settings: dict[str, Any], secrets: dict[str, str]) -> None:
    """422 naming the adapter, or the settings/secrets its class refuses (``settings.base_url``)."""
    try:
        adapter_class = get_adapter_class(adapter)
    except UnknownAdapter as error:
        raise ValidationFailed(error.message, details=error.details) from None
    try:
        adapter_class.validate_settings(settings, secrets)
    except AdapterConfigError as error:
        raise ValidationFailed(
            error.text or error.message,
            details=error.details or [{"field": "settings", "message": error.message}],
        ) from None


def with_defaults(adapter: str, settings: dict[str, Any], source_id: int | None) -> dict[str, Any]:
    """A ``file`` source without a directory keeps its uploads in ``usage-uploads/<id>``."""
    settings = dict(settings)
    if adapter == FILE_ADAPTER and not str(settings.get("directory") or "").strip():
        settings["directory"] = f"{DEFAULT_UPLOAD_ROOT}/{source_id if source_id is not None else 'new'}"
    return settings


# deleted sources keep their name (a plain unique column): they block it too
SOURCE_NAME = ChosenName(
    DataSource, "name", "data source", "data source", "data_source_duplicate", "__iexact"
)


async def create_source(data: DataSourceCreate) -> DataSource:
    settings, secrets = dict(data.settings), dict(data.secrets)
    check_config(data.adapter, with_defaults(data.adapter, settings, None), secrets)
    await SOURCE_NAME.check_free(data.name)
    try:
        async with in_transaction():
            source = await DataSource.create(
                **data.model_dump(exclude={"secrets"}), secrets_encrypted=encrypted(secrets)
            )
            completed = with_defaults(source.adapter, settings, source.id)
            if completed != settings:
                source.settings = completed
                await source.save(update_fields=["settings"])
    except IntegrityError:
        raise SOURCE_NAME.taken(data.name) from None
    await _prepare_directory(source)
    return source


async def update_source(source_id: int, data: DataSourceUpdate) -> DataSource:
    source = await get_source(source_id)
    changes = patch_changes(data)
    secrets = take_secrets(changes, source.secrets_encrypted)
    if secrets is not None:
        settings = with_defaults(source.adapter, changes.get("settings", source.settings or {}), source.id)
        check_config(source.adapter, settings, secrets)
        if "settings" in changes:
            changes["settings"] = settings
    source.update_from_dict(changes)
    await source.save()
    if "settings" in changes:
        await _prepare_directory(source)
    return source


async def delete_source(source_id: int, reason: str = "") -> DataSource:
    source = await get_source(source_id)
    mapped = await CustomerSourceAccount.filter(source_id=source.id).count()
    if mapped:
        raise Conflict(
            f"data source {source.name!r} still maps {mapped} customer account(s): remove the mappings first",
            code="data_source_in_use",
            params={"name": source.name, "count": mapped},
        )
    await source.soft_delete(reason)
    return source


# --- health ------------------------------------------------------------------------------------
async def check_health(source_id: int) -> HealthResult:
    """The adapter's health check within the source's timeout; a broken config is ``ok=False``."""
    source = await get_source(source_id)
    timeout = float(source.timeout_seconds)
    try:
        adapter = build_adapter(config_of(source))
    except SecretUnreadable as error:
        return HealthResult(False, str(error), None)
    except AdapterError as error:
        return HealthResult(False, f"invalid configuration: {error.message}", None)
    except Exception as error:  # settings stored by hand that the adapter chokes on
        return HealthResult(False, f"cannot build the adapter: {type(error).__name__}: {error}", None)
    try:
        return await asyncio.wait_for(adapter.health_check(), timeout)
    except TimeoutError:
        return HealthResult(False, f"no answer within {timeout:g} s", None)
    except Exception as error:  # an adapter breaking its promise never to raise
        log.warning("health check of data source %s raised", source.name, exc_info=True)
        return HealthResult(False, f"{type(error).__name__}: {error}", None)
    finally:
        with contextlib.suppress(Exception):
            await adapter.aclose()


# --- account mappings --------------------------------------------------------------------------
def _account_taken(source: DataSource, account: str, customer: Customer | None) -> Conflict:
    holder = (
        f"customer {customer.customer_code} ({customer.company_name})" if customer else "another customer"
    )
    message = f"account {account!r} of data source {source.name!r} is already mapped to {holder}"
    if customer:
        held = Message("customer_named", {"code": customer.customer_code, "name": customer.company_name})
    else:
        held = Message("another_customer")
    details = [
        {
            "field": "external_account",
            "message": f"already mapped to {holder}",
            "code": "mapped_to",
            "params": {"holder": held},
        }
    ]
    return Conflict(
        message,
        code="account_taken",
        params={"account": account, "name": source.name, "holder": held},
        details=details,
    )


async def add_account(source_id: int, data: AccountMappingCreate) -> CustomerSourceAccount:
    source = await get_source(source_id)
    customer = await get_or_404(Customer, data.customer_id, "customer")
    taken = await CustomerSourceAccount.filter(
        source_id=source.id, account_key=account_key_of(data.external_account)
    ).first()
    if taken is not None:
        holder = await Customer.with_deleted().get_or_none(id=taken.customer_id)
        raise _account_taken(source, data.external_account, holder)
    try:
        mapping = await CustomerSourceAccount.create(
            customer_id=customer.id, source_id=source.id, external_account=data.external_account
        )
    except IntegrityError:
        raise _account_taken(source, data.external_account, None) from None
    mapping.customer = customer
    return mapping


async def remove_account(source_id: int, mapping_id: int, reason: str = "") -> CustomerSourceAccount:
    source = await get_source(source_id)
    mapping = await get_or_404(
        CustomerSourceAccount.filter(source_id=source.id).select_related("customer"),
        mapping_id,
        "account_mapping",
    )
    await mapping.soft_delete(reason)
    return mapping


# --- the folder of a file source ----------------------------------------------------------
def upload_directory(source: DataSource) -> Path:
    """Where a ``file`` source keeps its files: its ``directory`` setting, as the adapter reads it."""
    settings = with_defaults(FILE_ADAPTER, dict(source.settings or {}), source.id)
    return FileUsageAdapter(SourceConfig(source.name, FILE_ADAPTER, settings, {})).directory


async def _prepare_directory(source: DataSource) -> None:
    """Make a ``file`` source's directory at once, so its health is good before the first
    upload; best effort: a directory that cannot be made is what the health check reports."""
    if source.adapter != FILE_ADAPTER:
        return
    try:
        await asyncio.to_thread(upload_directory(source).mkdir, parents=True, exist_ok=True)
    except (OSError, AdapterError) as error:
        log.warning("cannot make the upload directory of data source %s: %s", source.name, error)
