"""Serializers for the governance API's foundation endpoints."""

from auditlog.models import LogEntry
from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from rest_framework import serializers

from governance.models import SignOff, WorkerHeartbeat
from governance.services.signoffs import signoff_record
from governance.signoffs import SUBJECTS


class ErrorSerializer(serializers.Serializer):
    """The single error shape every endpoint returns."""

    message = serializers.CharField()
    details = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class TokenRequestSerializer(serializers.Serializer):
    """Credentials exchanged for an API token."""

    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with the provided username and password.",
                code="authorization",
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    """An API token to send as `Authorization: Token <key>`."""

    token = serializers.CharField()


class MeSerializer(serializers.Serializer):
    """Who the caller is and what their roles let them do."""

    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_superuser = serializers.BooleanField()
    permissions = serializers.ListField(child=serializers.CharField())


class HeartbeatSerializer(serializers.ModelSerializer):
    """A recorded heartbeat run."""

    class Meta:
        model = WorkerHeartbeat
        fields = ["id", "task_id", "hostname", "pid", "eager", "ran_at"]
        read_only_fields = fields


class HeartbeatQueuedSerializer(serializers.Serializer):
    """The id of a heartbeat task just queued."""

    task_id = serializers.CharField()


class AuditEntrySerializer(serializers.ModelSerializer):
    """One audit-trail entry: who changed what, when, and which fields."""

    action = serializers.CharField(source="get_action_display")
    model = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    changes = serializers.JSONField(source="changes_dict")

    class Meta:
        model = LogEntry
        fields = [
            "id",
            "timestamp",
            "action",
            "model",
            "object_pk",
            "object_repr",
            "actor",
            "remote_addr",
            "changes",
        ]

    def get_model(self, entry: LogEntry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"

    def get_actor(self, entry: LogEntry) -> str | None:
        return entry.actor.get_username() if entry.actor_id else None


class SignOffSerializer(serializers.ModelSerializer):
    """A sign-off; POST signs the subject's current content in one of the caller's roles."""

    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SignOff
        fields = [
            "id",
            "subject_kind",
            "subject_id",
            "role",
            "user",
            "decision",
            "comment",
            "digest",
            "signed_at",
        ]
        read_only_fields = ["user", "digest", "signed_at"]

    def create(self, validated_data: dict) -> SignOff:
        kind = validated_data["subject_kind"]
        subject = get_object_or_404(SUBJECTS[kind].model, pk=validated_data["subject_id"])
        return signoff_record(
            kind=kind,
            subject=subject,
            role=validated_data["role"],
            decision=validated_data["decision"],
            comment=validated_data.get("comment", ""),
            actor=self.context["request"].user,
        )
