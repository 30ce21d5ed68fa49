"""Foundation API endpoints: token login, the caller's roles, heartbeat, audit trail."""

import django_filters
from auditlog.models import LogEntry
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors
from governance.api import serializers as s
from governance.models import SignOff, WorkerHeartbeat
from governance.services.ops import heartbeat_request
from governance.services.signoffs import assessment_approve, shortlist_publish
from vendors.api.serializers import AssessmentSerializer, ShortlistVersionSerializer
from vendors.models import Assessment, ShortlistVersion


class TokenObtainView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer, 400: s.ErrorSerializer},
        auth=[],
    )
    def post(self, request):
        serializer = s.TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(APIView):
    """The caller's identity and roles, so a client can tell what it may do."""

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        return Response(s.MeSerializer(selectors.user_profile(user=request.user)).data)


class HeartbeatListView(generics.ListCreateAPIView):
    """Recent heartbeat runs; POST queues a new one on the Celery worker."""

    queryset = WorkerHeartbeat.objects.all()
    serializer_class = s.HeartbeatSerializer
    ordering_fields = ["ran_at"]

    @extend_schema(request=None, responses={202: s.HeartbeatQueuedSerializer})
    def post(self, request):
        task_id = heartbeat_request(user=request.user)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)


class AuditEntryFilter(django_filters.FilterSet):
    """Filter the audit trail by model, object, actor, action and time."""

    model = django_filters.CharFilter(method="filter_model", label="app_label.model")
    actor = django_filters.CharFilter(field_name="actor__username")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = LogEntry
        fields = ["object_pk", "action"]

    def filter_model(self, queryset, name, value):
        app_label, _, model = value.lower().partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail: read-only, filterable."""

    queryset = selectors.audit_entries()
    serializer_class = s.AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["timestamp"]


class SignOffViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Sign-offs: immutable once written; a new decision is a new sign-off."""

    queryset = SignOff.objects.select_related("user")
    serializer_class = s.SignOffSerializer
    filterset_fields = ["subject_kind", "subject_id", "role", "decision"]
    ordering_fields = ["signed_at"]


class AssessmentApproveView(generics.GenericAPIView):
    """Approve an assessment: no blocking gap and current security and legal sign-offs."""

    queryset = Assessment.objects.all()
    serializer_class = AssessmentSerializer
    required_perms = {"POST": "vendors.approve_assessment"}

    @extend_schema(request=None, responses={200: AssessmentSerializer, 400: s.ErrorSerializer})
    def post(self, request, pk: int):
        assessment = assessment_approve(assessment=self.get_object(), actor=request.user)
        return Response(AssessmentSerializer(assessment).data)


class ShortlistPublishView(generics.GenericAPIView):
    """Publish a draft: the whole policy holds and security and legal signed this content."""

    queryset = ShortlistVersion.objects.all()
    serializer_class = ShortlistVersionSerializer
    required_perms = {"POST": "vendors.publish_shortlistversion"}

    @extend_schema(
        request=None, responses={200: ShortlistVersionSerializer, 400: s.ErrorSerializer}
    )
    def post(self, request, pk: int):
        version = shortlist_publish(version=self.get_object(), actor=request.user)
        return Response(ShortlistVersionSerializer(version, context={"request": request}).data)
