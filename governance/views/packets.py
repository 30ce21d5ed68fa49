"""Packet pages: request from a subject's page, follow the rendering, download, verify."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from governance.choices import VerifyOutcome
from governance.models import Packet
from governance.permissions import get_object_for_user
from governance.selectors.packet_visibility import packets_visible, verification_shown
from governance.selectors.packets import packet_source_changes
from governance.services.packets import (
    packet_download,
    packet_request,
    packet_retry,
    packet_retryable,
    packet_verify,
)
from vendors.kit.services import parse_id

PACKETS = Packet.objects.select_related("requested_by")


def _back(request: HttpRequest, fallback: str = "packets") -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@permission_required("governance.view_packet", raise_exception=True)
def packet_list(request: HttpRequest) -> HttpResponse:
    """Packets of the subjects I may see, newest first."""
    packets = packets_visible(user=request.user, packets=PACKETS)
    return render(request, "governance/packets/list.html", {"packets": packets[:200]})


@require_POST
@permission_required("governance.add_packet", raise_exception=True)
def packet_request_page(request: HttpRequest) -> HttpResponse:
    """Request a packet from a subject's page, then follow it on the packet page."""
    subject_id = request.POST.get("subject_id", "")
    try:
        packet = packet_request(
            kind=request.POST.get("kind", ""),
            subject_id=parse_id(subject_id) or 0,
            actor=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back(request)
    label = f"{packet.get_kind_display()} of {packet.subject_label}"
    messages.success(request, f"Requested packet #{packet.pk}: {label}.")
    return redirect("packet-page", pk=packet.pk)


def packet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the rendering stands (refreshing itself until done), the download, the chain."""
    packet = get_object_for_user(request.user, PACKETS, "view", pk=pk)
    return render(
        request,
        "governance/packets/detail.html",
        {
            "packet": packet,
            "in_flight": packet.status in Packet.IN_FLIGHT,
            # Failed, or stuck in flight (its worker lost) for longer than TOLLGATE_STUCK_AFTER.
            "can_retry": packet_retryable(packet)
            and request.user.has_perm("governance.add_packet", packet),
            "history": packet.history.select_related("actor"),
            # A portfolio packet's figures are sums over rows that may change after it.
            "source_changes": packet_source_changes(packet),
        },
    )


@require_POST
def packet_retry_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed (or stuck) packet again."""
    packet = get_object_for_user(request.user, PACKETS, "add", pk=pk)
    try:
        packet_retry(packet=packet, actor=request.user)
        messages.success(request, f"Packet #{packet.pk} is queued again.")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("packet-page", pk=pk)


def packet_file(request: HttpRequest, pk: int) -> FileResponse:
    """Download a ready packet (permission-checked, audited)."""
    packet = get_object_for_user(request.user, PACKETS, "view", pk=pk)
    return packet_download(packet=packet, user=request.user)


@permission_required("governance.view_packet", raise_exception=True)
def packet_verify_page(request: HttpRequest) -> HttpResponse:
    """For auditors: is this PDF (or stored packet) genuine, and is the chain intact up to it?"""
    result, shown = None, None
    packet_id = parse_id(request.GET.get("id"))
    try:
        if request.method == "POST" and request.FILES.get("file"):
            result = packet_verify(data=request.FILES["file"].read())
        elif packet_id is not None:
            result = packet_verify(packet_id=packet_id)
    except ValidationError as refused:
        # An id no ready packet has is a failed check like the others, said as plainly.
        shown = {
            "outcome": VerifyOutcome.UNKNOWN_ID,
            "passed": False,
            "outcome_label": VerifyOutcome.UNKNOWN_ID.label,
            "message": " ".join(refused.messages),
        }
    if result is not None:
        shown = verification_shown(result=result, user=request.user)
    return render(request, "governance/packets/verify.html", {"result": shown})
