"""The Tollgate admin site: branded, and every registered admin obeys the role layer."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from governance.permissions import TollgateAdminMixin


class TollgateAdminSite(admin.AdminSite):
    """Admin site that mixes the object-level permission layer into every ModelAdmin."""

    site_header = "Tollgate administration"
    site_title = "Tollgate"
    index_title = "Records"

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        # Done here, once, so no app's admin.py can forget it (vendors cannot even import it).
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, TollgateAdminMixin):
            admin_class = type(admin_class.__name__, (TollgateAdminMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        # The admin's own form takes passwords: without them, sign-in is the login page's SSO.
        if not settings.TOLLGATE_LOCAL_PASSWORDS:
            next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return redirect_to_login(next_url)
        return super().login(request, extra_context)
