"""A user's in-app notifications."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.models import (
    Notification,
)
from governance.services.notifications import notification_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    """A notification for the caller."""

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications, newest first; ?unread=1 for unread only."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()
    required_perms = {}  # every signed-in user reads their own

    def get_queryset(self):
        mine = Notification.objects.filter(user=self.request.user)
        if self.request.query_params.get("unread") == "1":
            mine = mine.filter(read_at__isnull=True)
        return mine

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = generics.get_object_or_404(self.get_queryset(), pk=pk)
        notification_mark_read(notification=notification, user=request.user)
        return Response(NotificationSerializer(notification).data)
