"""Sign-off packets in the admin."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from governance.models import (
    Packet,
    PacketTransition,
)
from governance.selectors.packet_visibility import packets_visible
from governance.services.packets import packet_retry
from vendors.kit.admin import HistoryInline, run_action


class PacketHistoryInline(HistoryInline):
    model = PacketTransition


@admin.register(Packet)
class PacketAdmin(admin.ModelAdmin):
    """Packets: requested from their subject's admin or page; read-only here, ready ones forever."""

    list_display = (
        "id",
        "kind",
        "subject_label",
        "status",
        "requested_by",
        "requested_at",
        "sequence",
        "page_count",
    )
    list_filter = ("kind", "status")
    search_fields = ("subject_label", "sha256", "summary")
    # The file is reached through the packet page's audited download, never a media URL.
    exclude = ("file",)
    readonly_fields = [f.name for f in Packet._meta.fields if f.name != "file"] + ["page"]
    inlines = [PacketHistoryInline]
    actions = ["retry"]

    def get_queryset(self, request):
        # The list shows only packets of subjects the user may view (the page and API do too).
        return packets_visible(user=request.user, packets=super().get_queryset(request))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="packet page")
    def page(self, packet) -> str:
        return format_html('<a href="{}">open</a>', reverse("packet-page", args=[packet.pk]))

    @admin.action(description="Retry the selected failed packets", permissions=["retry"])
    def retry(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda p: packet_retry(packet=p, actor=request.user),
            "Queued again",
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("governance.add_packet")
