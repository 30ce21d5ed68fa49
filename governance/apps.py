"""App config for governance: pilots, money, evidence, and the project's wiring."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    """Keep role groups' permissions equal to governance/roles.py after every migrate."""
    from django.apps import apps

    from governance.roles import sync_role_groups

    sync_role_groups(apps)


class GovernanceConfig(AppConfig):
    """Governance app."""

    name = "governance"
    verbose_name = "Governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Permissions for models added by later migrations exist only after post_migrate,
        # so the roles are re-synced there (the data migration covers a fresh install).
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="tollgate_sync_roles")


class TollgateAdminConfig(AdminConfig):
    """Django's admin, with Tollgate's site (branding and the role layer) as the default."""

    default_site = "governance.config.admin_site.TollgateAdminSite"
