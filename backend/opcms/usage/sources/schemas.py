"""Data source request and response shapes: sources, account mappings, health, uploads.

Secrets travel in one direction only: a request may set them, no response carries them
(``secret_names`` lists the keys that are set, never a value).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from opcms.core.schemas import Id, Page, PageQuery, PatchSchema, PublicSchema, Remark, Schema, sort_by
from opcms.core.secrets import (
    SecretNames,
    SecretsIn,
    SecretsPatch,
    SecretsReadable,
    without_url_credentials,
)

SourceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Timeout = Annotated[int, Field(ge=1, le=600, description="seconds one vendor call may take")]
ExternalAccount = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


# --- data sources ------------------------------------------------------------------------------
class DataSourceCreate(Schema):
    name: SourceName
    adapter: str = Field(
        min_length=1, max_length=32, description="a registered adapter: demo, file, http_json, …"
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="the adapter's settings (checked by the adapter)"
    )
    secrets: SecretsIn
    is_enabled: bool = True
    timeout_seconds: Timeout = 30
    remark: Remark = None


class DataSourceUpdate(PatchSchema):
    """Partial update: only the fields sent change.

    ``settings`` replaces the settings as a whole; ``secrets`` is merged key by key: a key
    with a value sets it, a key with ``null`` removes it, a key not sent is kept.
    """

    not_null = ("settings", "is_enabled", "timeout_seconds")

    settings: dict[str, Any] | None = Field(default=None, description="the complete new settings")
    secrets: SecretsPatch = None
    is_enabled: bool | None = None
    timeout_seconds: Timeout | None = None
    remark: Remark = None


SOURCE_SORTABLE = ("name", "adapter", "created_at", "updated_at")


class DataSourceQuery(PageQuery):
    q: str | None = Field(default=None, max_length=64, description="part of the name")
    adapter: str | None = Field(default=None, max_length=32)
    is_enabled: bool | None = None
    sort: str | None = sort_by(*SOURCE_SORTABLE)


class DataSourcePublic(PublicSchema):
    id: int
    name: str
    adapter: str
    settings: dict[str, Any]
    secret_names: SecretNames
    secrets_readable: SecretsReadable
    is_enabled: bool
    timeout_seconds: int
    remark: str | None
    accounts: int = Field(description="live customer account mappings")
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None

    @field_validator("settings")
    @classmethod
    def _no_url_credentials(cls, value: dict[str, Any]) -> dict[str, Any]:
        # settings stored before such URLs were refused are answered without their password
        result: dict[str, Any] = without_url_credentials(value)
        return result


class DataSourcePage(Page[DataSourcePublic]):
    pass


class HealthPublic(PublicSchema):
    ok: bool
    detail: str
    latency_ms: float | None


# --- account mappings --------------------------------------------------------------------------
class AccountMappingCreate(Schema):
    customer_id: Id
    external_account: ExternalAccount = Field(description="the account id the vendor uses for this customer")


MAPPING_SORTABLE = ("external_account", "customer_id", "created_at")


class AccountMappingQuery(PageQuery):
    customer_id: Id | None = None
    q: str | None = Field(
        default=None, max_length=64, description="part of the external account, customer code or name"
    )
    sort: str | None = sort_by(*MAPPING_SORTABLE)


class AccountMappingPublic(PublicSchema):
    id: int
    source_id: int
    customer_id: int
    customer_code: str
    company_name: str
    customer_status: str
    external_account: str
    created_at: dt.datetime
    created_by: str | None


class AccountMappingPage(Page[AccountMappingPublic]):
    pass


# --- uploads -----------------------------------------------------------------------------------
class UsageUploadForm(Schema):
    """multipart/form-data"""

    file: bytes = Field(
        json_schema_extra={"format": "binary"},
        description="CSV (UTF-8 or GBK) or .xlsx with the columns account, metric, day, quantity",
    )
