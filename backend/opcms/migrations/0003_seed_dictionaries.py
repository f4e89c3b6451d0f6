"""Seed the industry and level dictionaries (DESIGN §3, issue 4).

Plain portable SQL (SQLite and MySQL) with literal values; admins edit entries afterwards.
"""

import json

from tortoise import migrations
from tortoise.migrations import operations as ops

LEVELS = [
    ("S", "S级", ["S级", "战略客户", "s", "s级"]),
    ("A", "A级", ["A级", "重要客户", "a", "a级"]),
    ("B", "B级", ["B级", "普通客户", "b", "b级"]),
    ("C", "C级", ["C级", "一般客户", "c", "c级"]),
]
INDUSTRIES = [
    ("internet", "互联网", ["IT", "互联网行业", "科技"]),
    ("finance", "金融", ["金融业", "银行", "保险"]),
    ("education", "教育", ["教育培训"]),
    ("healthcare", "医疗", ["医疗健康", "医药"]),
    ("retail", "零售", ["零售业", "电商"]),
    ("manufacturing", "制造", ["制造业", "工业"]),
    ("logistics", "物流", ["物流运输", "快递"]),
    ("government", "政府", ["政府机构", "政务"]),
    ("other", "其他", ["其它"]),
]


def _row(kind: str, order: int, code: str, label: str, synonyms: list[str]) -> str:
    words = json.dumps(synonyms, ensure_ascii=False).replace("'", "''")
    return (
        "INSERT INTO dictionary_entry (kind, code, label, synonyms, sort_order, is_active, created_at, "
        "updated_at, created_by, updated_by, is_deleted) VALUES "
        f"('{kind}', '{code}', '{label}', '{words}', {order}, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
        "'system:migration', 'system:migration', 0)"
    )


SEED = [_row("level", i, *entry) for i, entry in enumerate(LEVELS)] + [
    _row("industry", i, *entry) for i, entry in enumerate(INDUSTRIES)
]


class Migration(migrations.Migration):
    dependencies = [("opcms", "0002_customers")]

    operations = [
        ops.RunSQL(SEED, reverse_sql=["DELETE FROM dictionary_entry WHERE created_by = 'system:migration'"]),
    ]
