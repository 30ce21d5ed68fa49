"""The one permission layer: role model permissions (governance/roles.py) plus object rules.

- Model level ("may security change vendors at all?") is answered by Django's ModelBackend
  from the role groups.
- Object level ("may this user change *this* vendor?") is answered here: the model permission
  AND, where one is registered with `rules.add_perm`, the object rule.
Admin (TollgateAdminMixin), pages (get_object_for_user) and the API (RolePermission) all call
`user.has_perm(perm, obj)`, so each rule is enforced identically everywhere.
"""

from typing import Any

import rules
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from rest_framework.permissions import SAFE_METHODS, BasePermission

from governance.choices import Role


class RolePermissionBackend(ModelBackend):
    """A retired backend that signs no one in: sessions it signed in (it cached role
    permissions in a page cache that is gone) stay valid and read permissions afresh."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None


_model_backend = ModelBackend()


def has_role(role: str):
    """Return a predicate true for members of the role's group."""
    return rules.is_group_member(str(role))


is_security = has_role(Role.SECURITY)
is_legal = has_role(Role.LEGAL)
is_ai_pm = has_role(Role.AI_PM)
is_finance = has_role(Role.FINANCE)
is_platform = has_role(Role.PLATFORM)
is_auditor = has_role(Role.AUDITOR)


def perm_name(model: type[Model] | Model, action: str) -> str:
    """Return the Django permission name for an action on a model, e.g. vendors.change_vendor."""
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


class TollgatePermissionBackend(BaseBackend):
    """Answers object-level checks: the role's model permission, narrowed by any object rule."""

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        if obj is None or not user_obj.is_active:
            return False  # model-level checks are ModelBackend's job
        if not _model_backend.has_perm(user_obj, perm):
            return False
        return not rules.perm_exists(perm) or rules.has_perm(perm, user_obj, obj)


def get_object_for_user(
    user: Any, queryset: QuerySet, action: str = "view", **lookup: Any
) -> Model:
    """Fetch one object for a page or API view: 404 when absent, 403 when not permitted."""
    obj = get_object_or_404(queryset, **lookup)
    if not user.has_perm(perm_name(obj, action), obj):
        raise PermissionDenied
    return obj


_METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class RolePermission(BasePermission):
    """DRF permission: authenticated, and the role permission for the view's model and method.

    A view may name `required_perms = {"POST": "app.codename", ...}` for actions that are not
    plain CRUD on its queryset's model; views with neither only need authentication.
    Service tokens are refused everywhere except on views whose `token_scopes` names, for the
    method, a scope the token holds.
    """

    def _perm_for(self, request, view) -> str | None:
        explicit = getattr(view, "required_perms", None)
        if explicit is not None:
            return explicit.get(request.method)
        queryset = getattr(view, "queryset", None)
        if queryset is None:
            return None
        return perm_name(queryset.model, _METHOD_ACTIONS.get(request.method, "change"))

    def has_permission(self, request, view) -> bool:
        # Imported here: this module loads with the settings, before the models are ready.
        from governance.selectors.tokens import is_service_token, token_allows

        if not (request.user and request.user.is_authenticated):
            return False
        if is_service_token(request.auth):
            # A service token does exactly what its scopes say (governance/selectors/tokens.py).
            return token_allows(request.auth, view=view, method=request.method)
        perm = self._perm_for(request, view)
        return perm is None or request.user.has_perm(perm)

    def has_object_permission(self, request, view, obj) -> bool:
        from governance.selectors.tokens import is_service_token

        if is_service_token(request.auth):
            return True  # has_permission already checked the scope
        perm = self._perm_for(request, view)
        if perm is None:
            return True
        if request.method in SAFE_METHODS:
            perm = perm_name(obj, "view")
        return request.user.has_perm(perm, obj)


class TollgateAdminMixin:
    """Narrows any ModelAdmin's own answers with the object-level rules used everywhere else.

    TollgateAdminSite mixes this into every registered admin, so an app's admin.py (vendors
    included, which may not import governance) needs no permission code of its own.
    """

    def changelist_view(self, request, extra_context=None):
        # A NUL byte in a filter value reaches the database as a lookup PostgreSQL cannot
        # run (a 500); no real value holds one, so the request is refused by name.
        bad = sorted(
            repr(k) for k, values in request.GET.lists() if any("\0" in v for v in [k, *values])
        )
        if bad:
            return HttpResponseBadRequest(
                f"The filter {', '.join(bad)} contains a NUL byte, which no value can hold.",
                content_type="text/plain",
            )
        return super().changelist_view(request, extra_context)

    def _object_allowed(self, request, action: str, obj: Model | None) -> bool:
        return obj is None or request.user.has_perm(perm_name(obj, action), obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and (
            self._object_allowed(request, "view", obj)
            or self._object_allowed(request, "change", obj)
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._object_allowed(
            request, "change", obj
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._object_allowed(
            request, "delete", obj
        )
