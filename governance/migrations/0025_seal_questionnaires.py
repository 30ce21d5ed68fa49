"""Seal the history of vendor questionnaires like every other transition history (0023_seal):
PostgreSQL refuses UPDATE and DELETE of who extended or revoked a link and who accepted or
sent back a vendor's answer."""

from django.db import migrations

TABLES = ("vendors_questionnairetransition", "vendors_proposedanswertransition")


def seal(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_sealed BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW"
            " EXECUTE FUNCTION tollgate_refuse_sealed();"
        )


def unseal(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_sealed ON {table};")


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0024_api_tokens_hashed"),
        ("vendors", "0008_questionnaires"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
