"""Measurements sort by their key's columns (the unique index), not through joins."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0009_notification_kinds"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="measurement",
            options={"ordering": ["pilot_id", "metric_id", "tier", "period_start", "period_end"]},
        ),
    ]
