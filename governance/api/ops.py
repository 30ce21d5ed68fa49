"""Worker heartbeats: platform asks for one and sees when workers answered."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from governance.models import WorkerHeartbeat
from governance.services.ops import heartbeat_request


class HeartbeatSerializer(serializers.ModelSerializer):
    """A recorded heartbeat run."""

    class Meta:
        model = WorkerHeartbeat
        fields = ["id", "task_id", "hostname", "pid", "eager", "ran_at"]
        read_only_fields = fields


class HeartbeatQueuedSerializer(serializers.Serializer):
    """The id of a heartbeat task just queued."""

    task_id = serializers.CharField()


class HeartbeatListView(generics.ListCreateAPIView):
    """Recent heartbeat runs; POST queues a new one on the Celery worker."""

    queryset = WorkerHeartbeat.objects.all()
    serializer_class = HeartbeatSerializer
    ordering_fields = ["ran_at"]

    @extend_schema(request=None, responses={202: HeartbeatQueuedSerializer})
    def post(self, request):
        task_id = heartbeat_request(user=request.user)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)
