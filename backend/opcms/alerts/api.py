"""Alert rule and firing routes: admins write, admins and auditors read. Thin handlers."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.alerts import queries, service
from opcms.alerts.schemas import (
    AlertFiringPage,
    AlertFiringPublic,
    AlertFiringQuery,
    AlertRuleCreate,
    AlertRulePage,
    AlertRulePublic,
    AlertRuleQuery,
    AlertRuleUpdate,
    EvaluationPublic,
)
from opcms.core.http import endpoint
from opcms.core.schemas import DeleteQuery

bp = Blueprint("alerts", url_prefix="/api/v1")
TAG = "alerts"
READ, WRITE = "alerts:read", "alerts:write"


@bp.get("/alert-rules")
@endpoint(permission=READ, query=AlertRuleQuery, response=AlertRulePage, tag=TAG)
async def list_rules(request: Request, query: AlertRuleQuery) -> AlertRulePage:
    """Rules by kind and enabled, each saying why it could not send now (``cannot_send``)."""
    return AlertRulePage.model_validate(await queries.list_rules(query))


@bp.post("/alert-rules")
@endpoint(permission=WRITE, body=AlertRuleCreate, response=AlertRulePublic, status=201, tag=TAG)
async def create_rule(request: Request, body: AlertRuleCreate) -> AlertRulePublic:
    """Create a rule: its parameters and threshold are checked against its kind (422 naming the field)."""
    return await queries.describe_rule(await service.create_rule(body))


@bp.get("/alert-rules/<rule_id:int>")
@endpoint(permission=READ, response=AlertRulePublic, tag=TAG)
async def get_rule(request: Request, rule_id: int) -> AlertRulePublic:
    """One rule."""
    return await queries.describe_rule(await service.get_rule(rule_id))


@bp.patch("/alert-rules/<rule_id:int>")
@endpoint(permission=WRITE, body=AlertRuleUpdate, response=AlertRulePublic, tag=TAG)
async def update_rule(request: Request, rule_id: int, body: AlertRuleUpdate) -> AlertRulePublic:
    """Change a rule (not its kind); checked again as a whole."""
    return await queries.describe_rule(await service.update_rule(rule_id, body))


@bp.delete("/alert-rules/<rule_id:int>")
@endpoint(permission=WRITE, query=DeleteQuery, response=AlertRulePublic, tag=TAG)
async def delete_rule(request: Request, rule_id: int, query: DeleteQuery) -> AlertRulePublic:
    """Soft-delete a rule: no longer evaluated; its firings stay."""
    return await queries.describe_rule(await service.delete_rule(rule_id, query.reason))


@bp.post("/alert-rules/<rule_id:int>/enable")
@endpoint(permission=WRITE, response=AlertRulePublic, tag=TAG)
async def enable_rule(request: Request, rule_id: int) -> AlertRulePublic:
    """Enable a rule (409 saying why while no usable channel would carry its firings)."""
    return await queries.describe_rule(await service.set_enabled(rule_id, True))


@bp.post("/alert-rules/<rule_id:int>/disable")
@endpoint(permission=WRITE, response=AlertRulePublic, tag=TAG)
async def disable_rule(request: Request, rule_id: int) -> AlertRulePublic:
    """Disable a rule."""
    return await queries.describe_rule(await service.set_enabled(rule_id, False))


@bp.post("/alert-rules/<rule_id:int>/evaluate")
@endpoint(permission=WRITE, response=EvaluationPublic, tag=TAG)
async def evaluate_rule(request: Request, rule_id: int) -> EvaluationPublic:
    """Evaluate the rule now (its events since its last evaluation); quiet periods apply, so
    what was sent within one is counted as suppressed, not sent again."""
    evaluation = await service.evaluate_now(rule_id)
    return EvaluationPublic.model_validate(evaluation, from_attributes=True)


@bp.get("/alert-firings")
@endpoint(permission=READ, query=AlertFiringQuery, response=AlertFiringPage, tag=TAG)
async def list_firings(request: Request, query: AlertFiringQuery) -> AlertFiringPage:
    """Firings, newest first, by rule, kind, status, subject and time fired."""
    return AlertFiringPage.model_validate(await queries.list_firings(query))


@bp.get("/alert-firings/<firing_id:int>")
@endpoint(permission=READ, response=AlertFiringPublic, tag=TAG)
async def get_firing(request: Request, firing_id: int) -> AlertFiringPublic:
    """One firing: what was observed, the text sent, its messages and repeats."""
    return await queries.get_firing(firing_id)
