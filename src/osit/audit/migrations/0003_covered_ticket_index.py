"""The history's own index on ticket dropped: event_ticket_seq_idx (ticket, seq) covers it
(osit.core.db.covered; 83 MB at a million tickets).
"""

import django.db.models.deletion
from django.db import migrations, models

from osit.core.db.covered import drop_own_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_initial"),
        ("tickets", "0005_ticket_autovacuum"),
    ]

    operations = [
        drop_own_indexes(
            "audit",
            migrations.AlterField(
                model_name="event",
                name="ticket",
                field=models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    db_index=False,
                    null=True,
                    on_delete=django.db.models.deletion.DO_NOTHING,
                    related_name="events",
                    to="tickets.ticket",
                ),
            ),
        )
    ]
