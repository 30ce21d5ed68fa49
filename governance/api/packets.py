"""Packet API: request, follow, download and verify sign-off packets (no update, no delete)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.errors import ErrorSerializer
from governance.choices import PacketKind, PacketStatus, VerifyOutcome
from governance.models import Packet
from governance.selectors.packet_visibility import packets_visible, verification_shown
from governance.services.packets import (
    packet_download,
    packet_request,
    packet_retry,
    packet_verify,
)
from vendors.kit.errors import DomainError
from vendors.kit.services import parse_id

# Packets are a few MB; anything far larger is not one of ours and is not read into memory.
VERIFY_MAX_BYTES = 50 * 1024 * 1024


class PacketSerializer(serializers.ModelSerializer):
    """A packet, where its rendering stands, and its place in the hash chain."""

    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Packet
        fields = [
            "id",
            "kind",
            "subject_id",
            "subject_label",
            "status",
            "error",
            "attempts",
            "requested_by",
            "requested_at",
            "rendered_at",
            "page_count",
            "summary",
            "subject_digest",
            "sha256",
            "sequence",
            "previous_packet",
            "previous_hash",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, packet: Packet) -> str | None:
        if packet.status != PacketStatus.READY:
            return None
        return reverse("packet-download", args=[packet.pk])


class PacketRequestSerializer(serializers.Serializer):
    """What to make a packet of."""

    kind = serializers.ChoiceField(choices=PacketKind.choices)
    subject_id = serializers.IntegerField(min_value=1)


class PacketQueuedSerializer(serializers.Serializer):
    """The queued packet's id and status; follow it at /api/v1/packets/{id}/."""

    id = serializers.IntegerField()
    status = serializers.CharField()


class VerifyUploadSerializer(serializers.Serializer):
    """A PDF to check against the packets Tollgate issued."""

    file = serializers.FileField()


class VerificationSerializer(serializers.Serializer):
    """Whether a file or stored packet is genuine, the chain up to it, and what it certifies."""

    sha256 = serializers.CharField()
    matches = serializers.BooleanField()
    chain_intact = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())
    file_state = serializers.CharField(
        help_text="A stored packet checked by id: verified, changed or missing (else empty)."
    )
    outcome = serializers.ChoiceField(
        choices=VerifyOutcome.choices,
        help_text="genuine, or what failed first (the API answers an unknown id with a 400).",
    )
    outcome_label = serializers.CharField()
    passed = serializers.BooleanField(help_text="The packet is genuine and its chain intact.")
    claimed = serializers.IntegerField(
        allow_null=True,
        help_text="An uploaded file that matches no packet but carries a packet's title: its id.",
    )
    broken_at = serializers.IntegerField(
        allow_null=True, help_text="The first link of the chain with a problem, if any."
    )
    message = serializers.CharField()
    certifies = serializers.CharField()
    packet = serializers.IntegerField(allow_null=True)
    sequence = serializers.IntegerField(allow_null=True)


class PacketViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Sign-off packets: POST queues one; ready packets never change and are never deleted."""

    queryset = Packet.objects.select_related("requested_by")
    serializer_class = PacketSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_fields = ["kind", "subject_id", "status"]
    ordering_fields = ["requested_at", "sequence"]

    def get_queryset(self):
        packets = super().get_queryset()
        if self.action == "list":
            # Only kinds whose subjects the caller may see (one packet is checked by its rule).
            packets = packets_visible(user=self.request.user, packets=packets)
        return packets

    @extend_schema(
        request=PacketRequestSerializer,
        responses={201: PacketQueuedSerializer, 400: ErrorSerializer},
    )
    def create(self, request):
        payload = PacketRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        packet = packet_request(**payload.validated_data, actor=request.user)
        return Response({"id": packet.pk, "status": packet.status}, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            400: ErrorSerializer,
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The PDF of a ready packet (the access is recorded in the audit trail)."""
        return packet_download(packet=self.get_object(), user=request.user)

    @extend_schema(request=None, responses={202: PacketSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed packet again, or one stuck in flight (not moved for TOLLGATE_STUCK_AFTER
        seconds: its worker was lost); a ready packet is final."""
        packet = packet_retry(packet=self.get_object(), actor=request.user)
        return Response(PacketSerializer(packet).data, status=status.HTTP_202_ACCEPTED)


class PacketVerifyView(APIView):
    """Check a PDF (POST, multipart `file`) or a stored packet (GET ?id=N) against the chain."""

    required_perms = {"GET": "governance.view_packet", "POST": "governance.view_packet"}
    parser_classes = [MultiPartParser]  # GET takes no body; POST uploads the PDF

    @extend_schema(
        parameters=[OpenApiParameter("id", int, required=True, description="A packet id.")],
        responses={200: VerificationSerializer, 400: ErrorSerializer},
    )
    def get(self, request):
        packet_id = parse_id(request.query_params.get("id"), digits=18)
        if packet_id is None:
            raise DomainError({"id": "Give the id of a packet, e.g. ?id=12."})
        result = packet_verify(packet_id=packet_id)
        return Response(verification_shown(result=result, user=request.user))

    @extend_schema(
        request={"multipart/form-data": VerifyUploadSerializer},
        responses={200: VerificationSerializer, 400: ErrorSerializer},
    )
    def post(self, request):
        payload = VerifyUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        if upload.size > VERIFY_MAX_BYTES:
            raise DomainError({"file": "This file is far larger than any packet."})
        result = packet_verify(data=upload.read())
        return Response(verification_shown(result=result, user=request.user))
