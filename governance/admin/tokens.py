"""Service tokens in the admin: created with a key shown once, revoked."""

from django import forms
from django.contrib import admin, messages

from governance.choices import TokenScope
from governance.models import (
    ServiceToken,
)
from governance.services.tokens import service_token_create, service_token_revoke
from vendors.kit.admin import ServiceAdmin, ServiceForm, run_action


class ServiceTokenForm(ServiceForm):
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ServiceToken
        fields = ("name", "scopes", "pilots", "expires_at")

    def run_service(self):
        return service_token_create(
            name=self.cleaned_data["name"],
            scopes=self.cleaned_data["scopes"],
            pilots=list(self.cleaned_data.get("pilots") or []),
            expires_at=self.cleaned_data.get("expires_at"),
            actor=self.request.user,
        )


@admin.register(ServiceToken)
class ServiceTokenAdmin(ServiceAdmin):
    """Service-account tokens: the key is shown once, at creation; revoke, never edit."""

    form = ServiceTokenForm
    list_display = (
        "name",
        "key_prefix",
        "scopes",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = (
        "name",
        "key_prefix",
        "scopes",
        "granted_pilots",
        "user",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )

    @admin.display(description="pilots (measurements:write)")
    def granted_pilots(self, token) -> str:
        return ", ".join(str(p) for p in token.pilots.all()) or "—"

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else super().get_fields(request, obj)

    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def save_form(self, request, form, change):
        token, key = form.result
        self.message_user(
            request,
            f"Service token {token.name} created. Copy its key now; it is not shown again: {key}",
            messages.WARNING,
        )
        return token

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda t: service_token_revoke(token=t, actor=request.user),
            "Revoked",
        )
