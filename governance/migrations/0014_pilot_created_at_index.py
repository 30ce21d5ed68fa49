"""Scale: the pilot list and the pilot API read their newest pilots from an index, not a sort."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0013_scale_indexes"),
        ("vendors", "0005_checklist_rereview_range"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="pilot",
            index=models.Index(
                models.OrderBy(models.F("created_at"), descending=True),
                name="pilot_created_at_desc",
            ),
        ),
    ]
