"""People's API tokens moved to django-rest-knox (hashed, expiring): the old plain-text keys of
rest_framework.authtoken are deleted, so a copy of the database holds no usable user key.
API clients sign in again at /api/v1/auth/token/."""

from django.db import migrations


def delete_plain_text_tokens(apps, schema_editor):
    apps.get_model("authtoken", "Token").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0023_seal"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(delete_plain_text_tokens, migrations.RunPython.noop)]
