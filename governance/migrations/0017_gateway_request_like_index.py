"""Gateway requests are looked up by exact id only: drop the LIKE index PostgreSQL gets."""

from django.db import migrations


def drop_like_index(apps, schema_editor):
    # Django adds a varchar_pattern_ops index beside every varchar key on PostgreSQL; a
    # million-row import pays for it on every insert and no query uses it (P5).
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'governance_gatewayrequest' "
            "AND indexname LIKE '%%\\_like'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("governance", "0016_evidence_metrics")]

    operations = [migrations.RunPython(drop_like_index, migrations.RunPython.noop)]
