"""The audit trail, read-only."""

import django_filters
from auditlog.models import LogEntry
from rest_framework import serializers, viewsets

from governance.selectors.audit import audit_entries


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

    queryset = audit_entries()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["timestamp"]
