"""Scale: measurements sort by their key's columns (its unique index) and lose a redundant index."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0012_packet_kind_quarterly_review"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="measurement",
            options={"ordering": ["pilot_id", "metric_id", "tier", "period_start", "period_end"]},
        ),
        migrations.AlterField(
            model_name="measurement",
            name="pilot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="measurements",
                to="governance.pilot",
            ),
        ),
    ]
