"""Admin helpers shared by both apps: forms whose save is a service call.

The admin validates the form, then calls the domain service; a domain error is shown on the
form like any validation error instead of becoming a 500. Lives in the leaf app so vendors'
admin can use it (vendors may not import governance).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction


class ServiceForm(forms.ModelForm):
    """A ModelForm whose `run_service()` performs the write; `result` holds what it returned."""

    request = None  # set by ServiceAdmin.get_form
    result: Any = None

    def run_service(self) -> Any:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.result = self.run_service()
        except ValidationError as error:
            self._add_service_error(error)
        except PermissionDenied as error:
            self.add_error(None, str(error) or "You do not have permission to do this.")

    def _add_service_error(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)

    def save(self, commit: bool = True) -> Any:
        return self.result if self.result is not None else self.instance


class ServiceAdmin(admin.ModelAdmin):
    """ModelAdmin whose form writes through a service (see ServiceForm)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(self, request, obj, form, change) -> None:
        """The service already saved everything."""

    def save_related(self, request, form, formsets, change) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


def run_action(modeladmin: admin.ModelAdmin, request, queryset, service, success: str) -> None:
    """Apply a service to each selected object, reporting each refusal by name."""
    done = 0
    for obj in queryset:
        try:
            with transaction.atomic():
                service(obj)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            text = "; ".join(getattr(error, "messages", [str(error)]))
            modeladmin.message_user(request, f"{obj}: {text}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{success}: {done}.", messages.SUCCESS)


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows rows."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class HistoryInline(ReadOnlyInline):
    """Status history rows (who, from, to, why, when), statuses in words."""

    fields = ("at", "status_from", "status_to", "actor", "reason")
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="from")
    def status_from(self, row) -> str:
        return row.from_label

    @admin.display(description="to")
    def status_to(self, row) -> str:
        return row.to_label
