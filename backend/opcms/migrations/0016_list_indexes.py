"""The busy lists read from composite indexes (issue 17).

A list page is read as the ids of the page, then those rows (``core.list_pages``). Each index
here starts with ``is_deleted`` (every list reads live rows, or only deleted ones), goes on with
a filter and/or a sort key, and ends with the id: the ids of a page come from one index range
already in order — no row is read and nothing is sorted to find them — and the count of the
matching rows counts that range. The customer list: by status (sorted by code, or newest
first), by owner, and sorted by code or by name; the invoice list: by status, customer or
period; the payment list: by status or customer. Other sorts still use the single-column
indexes of their key.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

NEW_INDEXES = {
    "Customer": (
        ["is_deleted", "status", "customer_code", "id"],
        ["is_deleted", "status", "id"],
        ["is_deleted", "owner_id", "id"],
        ["is_deleted", "customer_code", "id"],
        ["is_deleted", "company_name", "id"],
    ),
    "Invoice": (
        ["is_deleted", "status", "id"],
        ["is_deleted", "customer_id", "id"],
        ["is_deleted", "period", "id"],
    ),
    "Payment": (
        ["is_deleted", "status", "id"],
        ["is_deleted", "customer_id", "id"],
    ),
}


class Migration(migrations.Migration):
    dependencies = [("opcms", "0015_allocation_source_suggestion")]

    initial = False

    operations = [
        ops.AddIndex(model_name=model, index=Index(fields=columns))
        for model, indexes in NEW_INDEXES.items()
        for columns in indexes
    ]
