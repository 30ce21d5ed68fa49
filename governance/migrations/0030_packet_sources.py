from django.db import migrations, models


def guard_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        # Adding a field with a default rebuilds SQLite's table without its guard (0011, 0023).
        schema_editor.execute(
            "CREATE TRIGGER IF NOT EXISTS governance_packet_ready_immutable"
            " BEFORE UPDATE ON governance_packet WHEN OLD.status = 'ready'"
            " BEGIN SELECT RAISE(ABORT, 'ready packets are immutable'); END;"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0029_signoff_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="packet",
            name="sources",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Per group of rows the figures were read from: what it feeds, its row "
                "count, first and last date, and SHA-256, when the packet was rendered.",
            ),
        ),
        migrations.AlterField(
            model_name="packet",
            name="seal_version",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="0: the PDF's hash only (older packets); 1: metadata and PDF sealed; "
                "2: and the digests of its source rows.",
            ),
        ),
        migrations.RunPython(guard_again, migrations.RunPython.noop),
    ]
