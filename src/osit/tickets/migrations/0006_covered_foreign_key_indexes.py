"""Foreign keys whose own index a composite index covers: the index dropped (osit.core.db.covered).

ticket.requester (ticket_requester_idx), .service (ticket_queue_idx), .owner
(ticket_owner_idx); comment.ticket (comment_ticket_idx); attachment.ticket
(attachment_ticket_idx); time entry.technician (timeentry_tech_idx); watcher.ticket
(watcher_unique), .user (watcher_user_idx); notification.user (notification_user_idx);
link.source (link_unique), .target (link_target_idx).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from osit.core.db.covered import drop_own_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_service_unknown_senders"),
        ("tickets", "0005_ticket_autovacuum"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        drop_own_indexes(
            "tickets",
            migrations.AlterField(
                model_name="attachment",
                name="ticket",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="attachments",
                    to="tickets.ticket",
                ),
            ),
            migrations.AlterField(
                model_name="comment",
                name="ticket",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="comments",
                    to="tickets.ticket",
                ),
            ),
            migrations.AlterField(
                model_name="notification",
                name="user",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="notifications",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
            migrations.AlterField(
                model_name="ticket",
                name="owner",
                field=models.ForeignKey(
                    blank=True,
                    db_index=False,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="owned",
                    to=settings.AUTH_USER_MODEL,
                    verbose_name="owner",
                ),
            ),
            migrations.AlterField(
                model_name="ticket",
                name="requester",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="requested",
                    to=settings.AUTH_USER_MODEL,
                    verbose_name="requester",
                ),
            ),
            migrations.AlterField(
                model_name="ticket",
                name="service",
                field=models.ForeignKey(
                    blank=True,
                    db_index=False,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="tickets",
                    to="directory.service",
                    verbose_name="service",
                ),
            ),
            migrations.AlterField(
                model_name="ticketlink",
                name="source",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="links_out",
                    to="tickets.ticket",
                ),
            ),
            migrations.AlterField(
                model_name="ticketlink",
                name="target",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="links_in",
                    to="tickets.ticket",
                ),
            ),
            migrations.AlterField(
                model_name="timeentry",
                name="technician",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="time_entries",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
            migrations.AlterField(
                model_name="watcher",
                name="ticket",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="watchers",
                    to="tickets.ticket",
                ),
            ),
            migrations.AlterField(
                model_name="watcher",
                name="user",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="watching",
                    to=settings.AUTH_USER_MODEL,
                ),
            ),
        )
    ]
