"""The idempotency key's own index on user dropped: idempotency_user_key (user, key) covers it
(osit.core.db.covered).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from osit.core.db.covered import drop_own_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        drop_own_indexes(
            "api",
            migrations.AlterField(
                model_name="idempotencykey",
                name="user",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
        )
    ]
