"""Service tokens in the admin: created with a key shown once, revoked with a button."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from governance.choices import TokenScope
from governance.models import ServiceToken
from governance.models.tokens import DEFAULT_LIFETIME
from governance.services.tokens import service_token_create, service_token_revoke
from vendors.choices import TOKEN_SCOPE_DESCRIPTIONS
from vendors.kit.admin import ServiceAdmin, ServiceForm, run_action


def scope_choices() -> list[tuple[str, str]]:
    """Each scope's box labelled with its name and, under it, what it reaches."""
    return [
        (
            scope.value,
            format_html(
                '<strong>{}</strong> <code>{}</code><br><span class="help">{}</span>',
                scope.label,
                scope.value,
                TOKEN_SCOPE_DESCRIPTIONS[scope],
            ),
        )
        for scope in TokenScope
    ]


def expiry_moment(day: date) -> datetime:
    """A token valid "until" a day works through that day: it ends at the next midnight here."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class ServiceTokenForm(ServiceForm):
    scopes = forms.MultipleChoiceField(
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose only what the client needs; a token can do nothing else.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Valid until",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"The last day the token works. Empty: {DEFAULT_LIFETIME.days} days from today.",
    )
    never_expires = forms.BooleanField(
        required=False,
        label="Never expires",
        help_text="Not recommended: a token nobody rotates outlives the people who knew of it.",
    )

    class Meta:
        model = ServiceToken
        fields = ("name", "scopes", "pilots")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + DEFAULT_LIFETIME

    def clean(self) -> dict:
        data = super().clean()
        expires_on, never = data.get("expires_on"), data.get("never_expires")
        if expires_on and never:
            self.add_error("never_expires", "Clear the date or untick this, not both.")
        elif expires_on and expires_on < timezone.localdate():
            self.add_error("expires_on", "The last day cannot be in the past.")
        return data

    def run_service(self):
        expires_on = self.cleaned_data.get("expires_on")
        return service_token_create(
            name=self.cleaned_data["name"],
            scopes=self.cleaned_data["scopes"],
            pilots=list(self.cleaned_data.get("pilots") or []),
            expires_at=expiry_moment(expires_on) if expires_on else None,
            never_expires=bool(self.cleaned_data.get("never_expires")),
            actor=self.request.user,
        )


@admin.register(ServiceToken)
class ServiceTokenAdmin(ServiceAdmin):
    """Service-account tokens: the key is shown once, at creation; revoke, never edit."""

    form = ServiceTokenForm
    change_form_template = "admin/governance/servicetoken/change_form.html"
    list_display = (
        "name",
        "key_prefix",
        "scope_names",
        "state_shown",
        "expires_at",
        "last_used",
        "created_by",
        "created_at",
    )
    list_select_related = ("created_by",)
    readonly_fields = (
        "name",
        "key_prefix",
        "state_shown",
        "scope_descriptions",
        "granted_pilots",
        "user",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used",
    )
    actions = ["revoke"]

    @admin.display(description="scopes")
    def scope_names(self, token) -> str:
        labels = dict(TokenScope.choices)
        return ", ".join(labels.get(s, s) for s in token.scopes)

    @admin.display(description="scopes")
    def scope_descriptions(self, token) -> str:
        labels = dict(TokenScope.choices)
        return format_html_join(
            "",
            "<p><strong>{}</strong> <code>{}</code>: {}</p>",
            (
                (labels.get(s, s), s, TOKEN_SCOPE_DESCRIPTIONS.get(s, "unknown scope"))
                for s in token.scopes
            ),
        )

    @admin.display(description="state")
    def state_shown(self, token) -> str:
        colour = {"active": "#15803d", "expired": "#b45309", "revoked": "#b91c1c"}[token.state]
        return format_html('<strong style="color:{}">{}</strong>', colour, token.state.capitalize())

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, token) -> str:
        return (
            timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M")
            if token.last_used_at
            else "Never used"
        )

    @admin.display(description="pilots (measurements:write)")
    def granted_pilots(self, token) -> str:
        return ", ".join(str(p) for p in token.pilots.all()) or "—"

    def get_fields(self, request, obj=None):
        if obj:
            return self.readonly_fields
        return ("name", "scopes", "pilots", "expires_on", "never_expires")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_urls(self):
        return [
            path(
                "<int:pk>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="governance_servicetoken_revoke",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        token = self.get_object(request, object_id)
        may_revoke = bool(
            token
            and token.revoked_at is None
            and request.user.has_perm("governance.change_servicetoken")
        )
        extra = {**(extra_context or {}), "may_revoke": may_revoke}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def revoke_view(self, request, pk: int):
        """Confirm, then revoke one token (the service checks the permission and the state)."""
        token = get_object_or_404(ServiceToken, pk=pk)
        back = reverse("admin:governance_servicetoken_change", args=[token.pk])
        if request.method == "POST":
            try:
                service_token_revoke(token=token, actor=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Service token {token.name} revoked: its next request is refused.",
                    messages.SUCCESS,
                )
            return redirect(back)
        if not request.user.has_perm("governance.change_servicetoken"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": token,
            "title": f"Revoke {token.name}?",
            "back": back,
        }
        return TemplateResponse(request, "admin/governance/servicetoken/revoke.html", context)

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
