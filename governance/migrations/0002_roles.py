"""Create the six role groups with their model permissions (governance/roles.py)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from governance.roles import sync_role_groups

    # Permissions are normally created after all migrations (post_migrate); create them now so
    # a fresh database gets its roles with permissions from this migration alone.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps)


def remove_roles(apps, schema_editor):
    from governance.choices import Role

    apps.get_model("auth", "Group").objects.filter(name__in=Role.values).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("vendors", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
