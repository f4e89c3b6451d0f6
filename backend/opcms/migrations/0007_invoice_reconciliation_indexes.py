from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('opcms', '0006_billing_payments')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Invoice',
            index=Index(fields=['customer_id', 'due_date']),
        ),
        ops.AddIndex(
            model_name='Invoice',
            index=Index(fields=['customer_id', 'outstanding']),
        ),
    ]
