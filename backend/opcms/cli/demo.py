"""The embedded default's demo: ``opcms seed-demo`` and ``opcms print-login``."""

from __future__ import annotations

import argparse
import secrets
from typing import Any

from opcms.cli.common import settings_or_exit, with_db
from opcms.cli.users import ROLES
from opcms.core.context import acting_as, system_actor

DEMO_NAMES = {"admin": "系统管理员", "finance": "财务·演示", "operator": "运营·演示", "auditor": "审计·演示"}


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Demo data for the embedded default: one user per role sharing a generated password, and
    customers with 13 months of history (usage, invoices, payments)."""
    settings = settings_or_exit()
    from opcms.analytics.models import CustomerScore
    from opcms.analytics.tasks import JOB_NAME as SCORING_JOB
    from opcms.auth.service import ensure_user
    from opcms.core.settings import business_today
    from opcms.demo.billing import seed_invoices_and_payments
    from opcms.demo.cast import HISTORY_MONTHS
    from opcms.demo.customers import seed_customers
    from opcms.demo.notifications import seed_demo_channel
    from opcms.demo.usage import seed_pricing_and_usage
    from opcms.jobs.models import Trigger
    from opcms.jobs.service import run_now

    credentials = settings.var_dir / "demo-login.txt"
    if credentials.exists():
        password = credentials.read_text().split("password:", 1)[1].strip()
    else:
        password = f"Demo-{secrets.token_urlsafe(9)}"

    async def run() -> list[str]:
        created = []
        with acting_as(system_actor("seed-demo")):
            for role in ROLES:
                _, was_created = await ensure_user(role, role, password, display_name=DEMO_NAMES[role])
                if was_created:
                    created.append(role)
            if await seed_customers(args.customers):
                created.append(f"{args.customers} customers")
            if await seed_pricing_and_usage(history_months=HISTORY_MONTHS):
                created.append(f"pricing plans, subscriptions and {HISTORY_MONTHS} months of usage")
            if await seed_invoices_and_payments():
                created.append(f"{HISTORY_MONTHS} monthly invoice runs and their payments")
            if await seed_demo_channel():
                created.append("an SMS channel that writes to the log, for the reminders")
            # today's customer scores, as the nightly job would have left them, so that the
            # churn warnings, credit scores and segments show on the first visit
            if not await CustomerScore.filter(score_day=business_today()).exists():
                await run_now(SCORING_JOB, {}, trigger=Trigger.CLI)
                created.append("today's customer scores")
        return created

    created = with_db(run)
    if created or not credentials.exists():
        credentials.write_text(f"users: {', '.join(ROLES)}\npassword: {password}\n")
        credentials.chmod(0o600)
    print(f"demo users ready ({', '.join(created) or 'already there'}); login in {credentials}")
    return 0


def cmd_print_login(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    credentials = settings.var_dir / "demo-login.txt"
    password = (
        credentials.read_text().split("password:", 1)[1].strip()
        if credentials.exists()
        else "(run opcms seed-demo)"
    )
    print(
        f"\n  OP-CMS  http://{settings.host}:{settings.port}   API docs http://{settings.host}:{settings.port}/docs\n"
        f"  login   admin / {password}   (also finance, operator, auditor with the same password)\n",
        flush=True,
    )
    return 0


def add_commands(sub: Any) -> None:
    seed = sub.add_parser("seed-demo", help="demo data for the embedded default")
    seed.add_argument(
        "--customers", type=int, default=200, help="demo customers to create when there are none"
    )
    seed.set_defaults(fn=cmd_seed_demo)
    sub.add_parser("print-login", help="print the URL and the demo login").set_defaults(fn=cmd_print_login)
