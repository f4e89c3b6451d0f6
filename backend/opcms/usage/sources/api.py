"""Data source routes: sources, their health, customer account mappings and usage uploads.
Thin handlers over :mod:`opcms.usage.sources.service` and ``queries``; no response ever carries a secret."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.definitions import RequestBody

from opcms.core.errors import ValidationFailed
from opcms.core.http import endpoint, schema_ref
from opcms.core.schemas import DeleteQuery, ErrorResponse, dump
from opcms.jobs.schemas import ExecutionPublic
from opcms.usage import uploads
from opcms.usage.sources import queries, service
from opcms.usage.sources.schemas import (
    AccountMappingCreate,
    AccountMappingPage,
    AccountMappingPublic,
    AccountMappingQuery,
    DataSourceCreate,
    DataSourcePage,
    DataSourcePublic,
    DataSourceQuery,
    DataSourceUpdate,
    HealthPublic,
    UsageUploadForm,
)

bp = Blueprint("data_sources", url_prefix="/api/v1")
TAG = "data sources"


# --- data sources ------------------------------------------------------------------------------
@bp.get("/data-sources")
@endpoint(permission="usage:read", query=DataSourceQuery, response=DataSourcePage, tag=TAG)
async def list_data_sources(request: Request, query: DataSourceQuery) -> DataSourcePage:
    """Data sources with their adapter, settings, secret names (never values) and mapped accounts."""
    return DataSourcePage.model_validate(await queries.list_sources(query))


@bp.post("/data-sources")
@endpoint(
    permission="data_sources:write", body=DataSourceCreate, response=DataSourcePublic, status=201, tag=TAG
)
async def create_data_source(request: Request, body: DataSourceCreate) -> DataSourcePublic:
    """Create a data source: the adapter checks the settings and secrets (422 naming the field)."""
    return await queries.describe(await service.create_source(body))


@bp.get("/data-sources/<source_id:int>")
@endpoint(permission="usage:read", response=DataSourcePublic, tag=TAG)
async def get_data_source(request: Request, source_id: int) -> DataSourcePublic:
    """One data source (secret names only)."""
    return await queries.describe(await queries.get_source(source_id))


@bp.patch("/data-sources/<source_id:int>")
@endpoint(permission="data_sources:write", body=DataSourceUpdate, response=DataSourcePublic, tag=TAG)
async def update_data_source(request: Request, source_id: int, body: DataSourceUpdate) -> DataSourcePublic:
    """Change settings (replaced whole), secrets (per key: value sets, null removes, absent keeps),
    enabled, timeout or remark; the config is checked again."""
    return await queries.describe(await service.update_source(source_id, body))


@bp.delete("/data-sources/<source_id:int>")
@endpoint(permission="data_sources:write", query=DeleteQuery, response=DataSourcePublic, tag=TAG)
async def delete_data_source(request: Request, source_id: int, query: DeleteQuery) -> DataSourcePublic:
    """Soft-delete a data source (409 while customer accounts are mapped to it)."""
    return await queries.describe(await service.delete_source(source_id, query.reason))


@bp.get("/data-sources/<source_id:int>/health")
@endpoint(permission="data_sources:write", response=HealthPublic, tag=TAG)
async def data_source_health(request: Request, source_id: int) -> HealthPublic:
    """Ask the vendor whether it answers, within the source's timeout; a broken config is ok=false."""
    result = await service.check_health(source_id)
    return HealthPublic(ok=result.ok, detail=result.detail, latency_ms=result.latency_ms)


# --- account mappings --------------------------------------------------------------------------
@bp.get("/data-sources/<source_id:int>/accounts")
@endpoint(permission="usage:read", query=AccountMappingQuery, response=AccountMappingPage, tag=TAG)
async def list_source_accounts(
    request: Request, source_id: int, query: AccountMappingQuery
) -> AccountMappingPage:
    """The vendor accounts mapped to customers on this source."""
    return AccountMappingPage.model_validate(await queries.list_accounts(source_id, query))


@bp.post("/data-sources/<source_id:int>/accounts")
@endpoint(
    permission="usage:ingest", body=AccountMappingCreate, response=AccountMappingPublic, status=201, tag=TAG
)
async def add_source_account(
    request: Request, source_id: int, body: AccountMappingCreate
) -> AccountMappingPublic:
    """Map a vendor account to a live customer (409 naming the customer that already has it)."""
    return queries.mapping_public(await service.add_account(source_id, body))


@bp.delete("/data-sources/<source_id:int>/accounts/<mapping_id:int>")
@endpoint(permission="usage:ingest", query=DeleteQuery, response=AccountMappingPublic, tag=TAG)
async def remove_source_account(
    request: Request, source_id: int, mapping_id: int, query: DeleteQuery
) -> AccountMappingPublic:
    """Remove a mapping (soft delete): the account can be mapped again."""
    return queries.mapping_public(await service.remove_account(source_id, mapping_id, query.reason))


# --- uploads -----------------------------------------------------------------------------------
_ERROR = {"application/json": schema_ref(ErrorResponse)}


@bp.post("/data-sources/<source_id:int>/uploads")
@openapi.body(RequestBody({"multipart/form-data": schema_ref(UsageUploadForm)}, required=True))
@openapi.response(404, _ERROR, "No such data source")
@openapi.response(409, _ERROR, "Not a 'file' source, or the source is disabled")
@openapi.response(
    413, _ERROR, "File or row count over the limits (OPCMS_IMPORT_MAX_BYTES, OPCMS_IMPORT_MAX_ROWS)"
)
@openapi.response(415, _ERROR, "Neither CSV text nor an .xlsx workbook")
@openapi.response(422, _ERROR, "Refused file (damaged, unsafe, missing columns, no usable day) or no file")
@endpoint(permission="usage:ingest", response=ExecutionPublic, status=201, tag=TAG)
async def upload_usage_file(request: Request, source_id: int) -> HTTPResponse:
    """Upload usage (multipart `file`: CSV or .xlsx with account, metric, day, quantity) to a
    `file` source: stored, then ingested at once as one `usage.upload` execution (201).

    Rows that cannot be billed (unknown account or metric, bad quantity, unreadable or future
    day, spike) become usage anomalies; uploading the same file again rewrites the same rows.
    """
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise ValidationFailed.field(
            "file", "upload a CSV or .xlsx file in the multipart field 'file'", code="usage_file_required"
        )
    execution = await uploads.ingest_upload(source_id, upload.body, upload.name)
    return json(dump(ExecutionPublic.model_validate(execution)), status=201)
