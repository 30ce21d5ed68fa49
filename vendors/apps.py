"""App config for the vendor registry (a leaf app: it never imports governance)."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class VendorsConfig(AppConfig):
    """Vendor registry app."""

    name = "vendors"
    verbose_name = "Vendor registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from vendors.pagecache import bump_all, check_shared_cache, track_writes

        checks.register(check_shared_cache)

        # Every connection reports its writes, so cached pages never outlive the data.
        connection_created.connect(track_writes, dispatch_uid="tollgate_track_writes")
        # A deploy runs migrate: pages rendered by the previous release start afresh.
        post_migrate.connect(bump_all, dispatch_uid="tollgate_bump_after_migrate")
