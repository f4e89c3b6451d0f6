"""Demo customers for the embedded default (``opcms seed-demo --customers N``).

Deterministic (seeded), varied enough to exercise the list filters: provinces, levels,
industries, statuses, owners, contract dates. Created through the real service, so every
rule and the audit log apply.

Signing dates fit the demo's history (demo/cast.py): trial customers signed in the last 90
days (new, a short history), the others 120 to 990 days ago — most before the 13 months of
history, some within them (their usage starts when they signed).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from opcms.auth.models import User
from opcms.core.settings import business_today
from opcms.customers.models import Customer, CustomerStatus
from opcms.customers.rules import credit_code_check_char
from opcms.customers.schemas import CustomerCreate
from opcms.customers.service import create_customer, move_status

CITIES = [
    ("上海", "上海"),
    ("北京", "北京"),
    ("浙江", "杭州"),
    ("浙江", "宁波"),
    ("江苏", "南京"),
    ("江苏", "苏州"),
    ("广东", "深圳"),
    ("广东", "广州"),
    ("四川", "成都"),
    ("湖北", "武汉"),
]
WORDS = ["云", "数", "智", "联", "信", "达", "安", "捷", "星", "海", "创", "科", "华", "融", "汇", "通"]
KINDS = [
    "科技",
    "网络",
    "信息技术",
    "数据服务",
    "软件",
    "电子商务",
    "物流",
    "医疗科技",
    "教育科技",
    "金融服务",
]
INDUSTRIES = [
    "internet",
    "finance",
    "education",
    "healthcare",
    "retail",
    "manufacturing",
    "logistics",
    "government",
    "other",
]
PATHS = {  # legal walks through the status machine
    "prospect": [],
    "trial": ["trial"],
    "active": ["trial", "active"],
    "suspended": ["trial", "active", "suspended"],
    "closed": ["closed"],
}


async def seed_customers(count: int, seed: int = 20261123) -> int:
    """Create ``count`` demo customers unless customers already exist; returns how many."""
    if count <= 0 or await Customer.with_deleted().exists():
        return 0
    rng = random.Random(seed)
    owners = [u.id for u in await User.filter(role="operator", is_active=True)]
    today = business_today()
    names: set[str] = set()
    for n in range(1, count + 1):
        province, city = rng.choice(CITIES)
        name = f"{city}{''.join(rng.sample(WORDS, 2))}{rng.choice(KINDS)}有限公司"
        while name in names:  # a drawn name may repeat; the suffix keeps it unique and plausible
            name = name.replace("有限公司", f"第{rng.randint(2, 99)}分公司")
        names.add(name)
        signed_days_ago = rng.randint(30, 900)
        first17 = f"9131{n:013d}"
        data: dict[str, Any] = dict(
            customer_code=f"C{n:06d}",
            company_name=name,
            short_name=name[len(city) : len(city) + 4],
            credit_code=first17 + credit_code_check_char(first17),
            industry=rng.choice(INDUSTRIES),
            level=rng.choices(["S", "A", "B", "C"], weights=[1, 3, 6, 4])[0],
            owner_id=rng.choice(owners) if owners and rng.random() < 0.8 else None,
            contact_name=rng.choice("张王李赵刘陈杨黄周吴")
            + rng.choice(["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"]),
            contact_phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            contact_email=f"ops{n}@example.com",
            province=province,
            city=city,
            address=f"{city}市示例路 {rng.randint(1, 999)} 号",
            contract_years=rng.choice([1, 2, 3]),
            payment_terms_days=rng.choice([15, 30, 30, 45, 60]),
            credit_limit=Decimal(f"{rng.randint(1, 200) * 1000}.00"),
        )
        target = rng.choices(list(PATHS), weights=[2, 2, 12, 1, 1])[0]
        # the draws above keep their order whatever the status (the e2e suite relies on the
        # statuses of the first dozen); the signing date follows the status
        if target == "trial":
            signed_days_ago = 14 + signed_days_ago % 76
        else:
            signed_days_ago += 90
        signed = today - dt.timedelta(days=signed_days_ago)
        years = data.pop("contract_years")
        customer = await create_customer(
            CustomerCreate(
                **data,
                signed_at=signed,
                contract_end_at=signed + dt.timedelta(days=365 * years),
            )
        )
        for step in PATHS[target]:
            await move_status(customer, CustomerStatus(step), "demo data")
    return count
