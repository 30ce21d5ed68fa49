"""Vendor API serializers: they shape data; writes go through vendors.services."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from vendors.choices import CoverageStatus, MappingRelationship, ResponseStatus, Use
from vendors.models import (
    Assessment,
    ChecklistItem,
    Evidence,
    Framework,
    ModelRollback,
    ModelVersion,
    Offering,
    Response,
    RiskException,
    ShortlistEntry,
    ShortlistVersion,
    Vendor,
)
from vendors.selectors.frameworks import current_frameworks
from vendors.selectors.shortlist import entry_problems
from vendors.services.assessments import (
    assessment_open,
    evidence_add,
    exception_grant,
    response_set_verdict,
)
from vendors.services.checklist import checklist_item_create, checklist_item_update
from vendors.services.registry import (
    model_version_create,
    model_version_update,
    offering_create,
    offering_update,
    vendor_create,
    vendor_update,
)
from vendors.services.shortlist import (
    shortlist_draft_create,
    shortlist_entry_add,
    shortlist_entry_update,
)


class VendorSerializer(serializers.ModelSerializer):
    """A vendor as the API shows and accepts it."""

    data_regions = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_empty=True
    )
    median_days_to_adopt = serializers.SerializerMethodField()

    class Meta:
        model = Vendor
        fields = [
            "id",
            "name",
            "slug",
            "hosting_model",
            "data_regions",
            "status",
            "approved_until",
            "median_days_to_adopt",
            "website",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "approved_until", "created_at", "updated_at"]

    def get_median_days_to_adopt(self, vendor: Vendor) -> float | None:
        """Median days from a model release to its internal approval (time to model update)."""
        return self.context.get("median_days_to_adopt", {}).get(vendor.pk)

    def create(self, validated_data: dict) -> Vendor:
        return vendor_create(**validated_data)

    def update(self, instance: Vendor, validated_data: dict) -> Vendor:
        return vendor_update(vendor=instance, **validated_data)


class OfferingSerializer(serializers.ModelSerializer):
    """A vendor's product."""

    vendor = serializers.SlugRelatedField(slug_field="slug", queryset=Vendor.objects.all())

    class Meta:
        model = Offering
        fields = [
            "id",
            "vendor",
            "name",
            "kind",
            "agentic",
            "seat_price",
            "currency",
            "description",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def create(self, validated_data: dict) -> Offering:
        return offering_create(**validated_data)

    def update(self, instance: Offering, validated_data: dict) -> Offering:
        return offering_update(offering=instance, **validated_data)


class ModelVersionSerializer(serializers.ModelSerializer):
    """A pinned model version with prices and its rollback target."""

    vendor = serializers.SlugRelatedField(slug_field="slug", queryset=Vendor.objects.all())
    days_to_adopt = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "vendor",
            "family",
            "version",
            "tier",
            "currency",
            "price_input_per_mtok",
            "price_cached_input_per_mtok",
            "price_output_per_mtok",
            "released_on",
            "approved_on",
            "deprecated_on",
            "status",
            "days_to_adopt",
            "rollback_target",
            "rollback_plan",
            "regions",
        ]

    def create(self, validated_data: dict) -> ModelVersion:
        return model_version_create(**validated_data)

    def update(self, instance: ModelVersion, validated_data: dict) -> ModelVersion:
        return model_version_update(model_version=instance, **validated_data)


class ChecklistItemSerializer(serializers.ModelSerializer):
    """A checklist template item."""

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "code",
            "title",
            "category",
            "guidance",
            "owner_role",
            "mandatory",
            "evidence_required",
            "rereview_days",
            "applies_to",
            "model_dependent",
            "active",
            "position",
        ]

    def create(self, validated_data: dict) -> ChecklistItem:
        return checklist_item_create(**validated_data)

    def update(self, instance: ChecklistItem, validated_data: dict) -> ChecklistItem:
        return checklist_item_update(item=instance, **validated_data)


class EvidenceSerializer(serializers.ModelSerializer):
    """An evidence file's record (the file itself is served by the download endpoint)."""

    file = serializers.FileField(write_only=True)
    response = serializers.PrimaryKeyRelatedField(queryset=Response.objects.all())

    class Meta:
        model = Evidence
        fields = [
            "id",
            "response",
            "file",
            "original_name",
            "kind",
            "size",
            "sha256",
            "description",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = ["original_name", "kind", "size", "sha256", "uploaded_by"]

    def create(self, validated_data: dict) -> Evidence:
        return evidence_add(
            response=validated_data["response"],
            uploaded_file=validated_data["file"],
            description=validated_data.get("description", ""),
            actor=self.context["request"].user,
        )


class ExceptionSerializer(serializers.ModelSerializer):
    """A risk acceptance on a not-satisfied item."""

    response = serializers.PrimaryKeyRelatedField(queryset=Response.objects.all())

    class Meta:
        model = RiskException
        fields = [
            "id",
            "response",
            "justification",
            "compensating_controls",
            "approver",
            "approved_at",
            "expires_on",
            "status",
        ]
        read_only_fields = ["approver", "approved_at", "status"]

    def create(self, validated_data: dict) -> RiskException:
        return exception_grant(**validated_data, actor=self.context["request"].user)


# "Response" would shadow the Response class every generated client has (openapi-python-client's
# responses module then fails to import).
@extend_schema_serializer(component_name="ChecklistResponse")
class ResponseSerializer(serializers.ModelSerializer):
    """A verdict on one checklist item; PATCH sets the verdict through the service."""

    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.ChoiceField(choices=ResponseStatus.choices)
    evidence = EvidenceSerializer(
        many=True,
        read_only=True,
        allow_null=True,
        help_text="The evidence files' records; null for roles that may not view evidence "
        "(the same rule as /api/v1/evidence/).",
    )

    class Meta:
        model = Response
        fields = [
            "id",
            "assessment",
            "item",
            "status",
            "reason",
            "comment",
            "verdict_by",
            "verdict_at",
            "expires_on",
            "evidence",
        ]
        read_only_fields = ["assessment", "verdict_by", "verdict_at"]

    def to_representation(self, instance: Response) -> dict:
        data = super().to_representation(instance)
        # Evidence names, sizes and hashes follow the evidence rule: pilot owners and finance
        # see where a review stands, not what the vendor handed over.
        request = self.context.get("request")
        if request is None or not request.user.has_perm("vendors.view_evidence"):
            data["evidence"] = None
        return data

    def update(self, instance: Response, validated_data: dict) -> Response:
        response_set_verdict(
            response=instance,
            status=validated_data.get("status", instance.status),
            reason=validated_data.get("reason", ""),
            comment=validated_data.get("comment", ""),
            expires_on=validated_data.get("expires_on"),
            actor=self.context["request"].user,
        )
        instance.refresh_from_db()
        return instance


class GapSerializer(serializers.Serializer):
    """An item blocking approval."""

    item_code = serializers.CharField()
    item_title = serializers.CharField()
    problem = serializers.CharField()


class AssessmentSerializer(serializers.ModelSerializer):
    """A review round; POST opens one with a response per applicable item."""

    vendor = serializers.SlugRelatedField(slug_field="slug", queryset=Vendor.objects.all())
    offering = serializers.PrimaryKeyRelatedField(
        queryset=Offering.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "vendor",
            "offering",
            "status",
            "notes",
            "opened_by",
            "opened_at",
            "approved_at",
            "approved_until",
            "approved_digest",
        ]
        # The model's constraints run in the service (full_clean), with their own messages.
        validators = []
        read_only_fields = [
            "status",
            "opened_by",
            "opened_at",
            "approved_at",
            "approved_until",
            "approved_digest",
        ]

    def create(self, validated_data: dict) -> Assessment:
        return assessment_open(**validated_data, actor=self.context["request"].user)


class ReasonSerializer(serializers.Serializer):
    """A reason for a rejection or revocation."""

    reason = serializers.CharField()


class ModelRollbackSerializer(serializers.ModelSerializer):
    """A rollback decision: which version, to which target, why, by whom and when."""

    model_version = serializers.StringRelatedField()
    target = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = ModelRollback
        fields = ["id", "model_version", "target", "reason", "decided_by", "decided_at"]


class ShortlistEntrySerializer(serializers.ModelSerializer):
    """A provider on a shortlist version; `suspended` and `reasons` are computed for today."""

    version = serializers.PrimaryKeyRelatedField(queryset=ShortlistVersion.objects.all())
    vendor = serializers.SlugRelatedField(slug_field="slug", queryset=Vendor.objects.all())
    offering = serializers.PrimaryKeyRelatedField(
        queryset=Offering.objects.all(), required=False, allow_null=True
    )
    uses = serializers.ListField(child=serializers.CharField(), read_only=True)
    suspended = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = ShortlistEntry
        fields = [
            "id",
            "version",
            "vendor",
            "offering",
            "role",
            "allow_completion",
            "allow_agentic",
            "uses",
            "notes",
            "suspended",
            "reasons",
        ]
        validators = []  # constraints run in the service with their own messages

    def _problems(self, entry) -> list[str]:
        cache = self.context.setdefault("_entry_problems", {})
        if entry.pk not in cache:
            cache[entry.pk] = entry_problems(entry, today=timezone.localdate())
        return cache[entry.pk]

    def get_suspended(self, entry) -> bool:
        """True when the entry's vendor approval has lapsed or was revoked."""
        return bool(self._problems(entry))

    def get_reasons(self, entry) -> list[str]:
        """Why the entry is suspended (empty when in force)."""
        return self._problems(entry)

    def create(self, validated_data: dict) -> ShortlistEntry:
        return shortlist_entry_add(**validated_data, actor=self.context["request"].user)

    def update(self, instance: ShortlistEntry, validated_data: dict) -> ShortlistEntry:
        validated_data.pop("version", None)
        return shortlist_entry_update(
            entry=instance, **validated_data, actor=self.context["request"].user
        )


class ShortlistVersionSerializer(serializers.ModelSerializer):
    """A shortlist version with its entries; POST starts a draft copied from the published one."""

    entries = ShortlistEntrySerializer(many=True, read_only=True)

    class Meta:
        model = ShortlistVersion
        fields = [
            "id",
            "number",
            "status",
            "notes",
            "created_by",
            "created_at",
            "published_at",
            "published_digest",
            "entries",
        ]
        read_only_fields = [
            "number",
            "status",
            "created_by",
            "created_at",
            "published_at",
            "published_digest",
        ]

    def create(self, validated_data: dict) -> ShortlistVersion:
        return shortlist_draft_create(
            notes=validated_data.get("notes", ""), actor=self.context["request"].user
        )


class ShortlistCheckQuerySerializer(serializers.Serializer):
    """The gateway's question."""

    vendor = serializers.SlugField()
    use = serializers.ChoiceField(choices=Use.choices)
    model = serializers.RegexField(
        r"^[^:\s]+:[^:\s]+$",
        required=False,
        help_text="family:version, e.g. helix-core:3.5",
        error_messages={"invalid": "Give the model as family:version."},
    )


class ShortlistCheckSerializer(serializers.Serializer):
    """The answer: allowed or not, why, under which version, until when."""

    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    shortlist_version = serializers.IntegerField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    rollback_target = serializers.CharField(
        allow_null=True, help_text="family:version to use instead, when the model was rolled back."
    )


class ShortlistDiffSerializer(serializers.Serializer):
    """One provider's change between two versions."""

    change = serializers.CharField()
    provider = serializers.CharField()
    details = serializers.CharField()


# --- frameworks and coverage ----------------------------------------------------------------


class FrameworkSerializer(serializers.ModelSerializer):
    """A loaded framework version with how many requirements it has and how many are mapped."""

    requirement_count = serializers.IntegerField(read_only=True)
    assessable_count = serializers.IntegerField(read_only=True)
    mapped_count = serializers.IntegerField(
        read_only=True, help_text="Requirements at least one checklist item maps to."
    )

    class Meta:
        model = Framework
        fields = [
            "id",
            "slug",
            "version",
            "name",
            "publisher",
            "source",
            "current",
            "notes",
            "loaded_at",
            "requirement_count",
            "assessable_count",
            "mapped_count",
        ]
        read_only_fields = fields


class CoverageQuerySerializer(serializers.Serializer):
    """Which framework to show (its slug; the current version); all when absent."""

    framework = serializers.SlugField(required=False, max_length=64)

    def validate_framework(self, value: str) -> Framework:
        framework = current_frameworks().filter(slug=value).first()
        if framework is None:
            known = ", ".join(current_frameworks().values_list("slug", flat=True)) or "none"
            raise serializers.ValidationError(
                f"No framework '{value}' is loaded (loaded: {known})."
            )
        return framework


class MappedItemSerializer(serializers.Serializer):
    """A checklist item mapped to the requirement and where it stands."""

    item = serializers.CharField(source="code")
    relationship = serializers.ChoiceField(choices=MappingRelationship.choices)
    state = serializers.CharField(source="item.state", help_text="satisfied, excepted or unmet")
    until = serializers.DateField(source="item.until", allow_null=True)
    problem = serializers.CharField(source="item.problem")


class CoverageRowSerializer(serializers.Serializer):
    """One requirement; headings (assessable false) have no status."""

    ref = serializers.CharField()
    title = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    depth = serializers.IntegerField()
    assessable = serializers.BooleanField()
    status = serializers.ChoiceField(choices=CoverageStatus.choices, allow_null=True)
    until = serializers.DateField(allow_null=True)
    reasons = serializers.SerializerMethodField()
    items = MappedItemSerializer(many=True)

    def get_reasons(self, row) -> list[str]:
        return list(row.verdict.reasons) if row.verdict else []


class CoverageCountsSerializer(serializers.Serializer):
    """How many assessable requirements are in each status."""

    covered = serializers.IntegerField()
    partial = serializers.IntegerField()
    excepted = serializers.IntegerField()
    gap = serializers.IntegerField()


class FrameworkCoverageSerializer(serializers.Serializer):
    """An assessment's coverage of one framework version."""

    framework = serializers.SlugField(source="framework.slug")
    version = serializers.CharField(source="framework.version")
    name = serializers.CharField(source="framework.name")
    counts = CoverageCountsSerializer()
    requirements = CoverageRowSerializer(source="rows", many=True)
