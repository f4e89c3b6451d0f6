"""Dictionary values carry their label in both languages."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("opcms", "0013_user_password_change")]

    initial = False

    operations: list = []
