"""Model versions declared on pilots (where no gateway logs exist) in the admin."""

from django.contrib import admin

from governance.models import PilotModelVersion
from governance.services.model_switches import pilot_model_declare
from vendors.kit.admin import ServiceAdmin, ServiceForm


class PilotModelVersionForm(ServiceForm):
    class Meta:
        model = PilotModelVersion
        fields = ("pilot", "model_version", "since", "note")

    def run_service(self):
        return pilot_model_declare(actor=self.request.user, **self.cleaned_data)


@admin.register(PilotModelVersion)
class PilotModelVersionAdmin(ServiceAdmin):
    """Declare the version a pilot runs from a day on; a change of version is a model switch."""

    form = PilotModelVersionForm
    list_display = ("pilot", "model_version", "since", "declared_by", "declared_at")
    list_select_related = ("pilot", "model_version", "declared_by")
    list_filter = ("model_version__vendor",)

    def has_change_permission(self, request, obj=None) -> bool:
        # A declaration is history: a correction is a new declaration from another day.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
