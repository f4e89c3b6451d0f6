"""Dictionary values carry their label in both languages: ``label`` (Chinese, as before) and
``label_en`` (English; empty until translated, the UI then shows ``label``). The seeded industry and
level entries (0003) get their English labels; an entry an admin has since given one keeps it."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

LABELS_EN = [
    ("level", "S", "Level S"),
    ("level", "A", "Level A"),
    ("level", "B", "Level B"),
    ("level", "C", "Level C"),
    ("industry", "internet", "Internet"),
    ("industry", "finance", "Finance"),
    ("industry", "education", "Education"),
    ("industry", "healthcare", "Healthcare"),
    ("industry", "retail", "Retail"),
    ("industry", "manufacturing", "Manufacturing"),
    ("industry", "logistics", "Logistics"),
    ("industry", "government", "Government"),
    ("industry", "other", "Other"),
]

# also replayed by the test harness after each test, with 0003's seed
SEED = [
    f"UPDATE dictionary_entry SET label_en = '{label_en}' WHERE kind = '{kind}' AND code = '{code}' AND label_en = ''"
    for kind, code, label_en in LABELS_EN
]


class Migration(migrations.Migration):
    dependencies = [("opcms", "0013_user_password_change")]

    initial = False

    operations = [
        ops.AddField(
            model_name="DictionaryEntry",
            name="label_en",
            field=fields.CharField(default="", db_default="", max_length=64),
        ),
        ops.RunSQL(
            SEED,
            reverse_sql=["UPDATE dictionary_entry SET label_en = ''"],
        ),
    ]
