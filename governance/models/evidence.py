"""Evidence an enterprise already has: team membership, pull requests, gateway logs, Copilot.

Imported rows are the raw material; TeamMetricValue holds the weekly series derived from them,
from which pilots' baselines and measurements are computed.
"""

from django.conf import settings
from django.db import models

from governance.models.pilots import Metric, Team
from vendors.choices import Currency, RoutingTier
from vendors.models import ModelVersion


class ImportKind(models.TextChoices):
    """What an import reads."""

    TEAM_MEMBERS = "team_members", "Team membership (CSV)"
    PULL_REQUESTS = "pull_requests", "Pull requests (GitHub JSON)"
    GITHUB_SYNC = "github_sync", "Pull requests (GitHub API)"
    GATEWAY_LOGS = "gateway_logs", "AI-gateway spend logs"
    COPILOT_METRICS = "copilot_metrics", "Copilot usage metrics (NDJSON)"


class ImportStatus(models.TextChoices):
    """Where an import run stands."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportRun(models.Model):
    """One import of one file (or one API sync): who, what, the file's digest, counts, errors."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    dry_run = models.BooleanField(default=False)
    skip_bad = models.BooleanField(
        default=False, help_text="Import the good lines and list the bad ones."
    )
    options = models.JSONField(
        default=dict, blank=True, help_text="Format, column mapping, repository, organisation."
    )
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list,
        blank=True,
        help_text="[{line, field, message}]: every bad line (a file with more than 100,000 "
        "is refused).",
    )
    report = models.JSONField(
        default=dict, blank=True, help_text="Unknown authors, models and teams, with counts."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="import_progress_percent",
                violation_error_message="Progress is a percentage.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name or ''} ({self.get_status_display()})"


class TeamMember(models.Model):
    """A person's membership of a team from one date to another (open-ended without `until`)."""

    login = models.CharField(max_length=100, help_text="GitHub login, lower-case.")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["login", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["login", "team", "valid_from"],
                name="team_member_key",
                violation_error_message="This person already joins this team on this date.",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="team_member_period_ordered",
                violation_error_message="A membership ends on or after the day it starts.",
            ),
        ]
        indexes = [models.Index(fields=["login", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.login} in {self.team} from {self.valid_from}"


class PullRequest(models.Model):
    """A pull request as GitHub reports it, attributed to its author's team when it merged."""

    repo = models.CharField(max_length=200, help_text="owner/name")
    number = models.PositiveIntegerField()
    author = models.CharField(max_length=100, help_text="GitHub login, lower-case.")
    author_is_bot = models.BooleanField(default=False)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="pull_requests"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    merged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    additions = models.PositiveIntegerField(default=0)
    deletions = models.PositiveIntegerField(default=0)
    changed_files = models.PositiveIntegerField(default=0)
    labels = models.JSONField(default=list, blank=True)
    head_ref = models.CharField(max_length=255, blank=True)
    base_ref = models.CharField(max_length=255, blank=True)
    draft = models.BooleanField(default=False)
    co_authors = models.JSONField(
        default=list, blank=True, help_text="Co-authored-by trailers of its commits."
    )
    ai_assisted = models.BooleanField(default=False)
    ai_signal = models.CharField(
        max_length=120, blank=True, help_text="The rule that marked it AI-assisted."
    )
    review_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When review was asked for; the opening time if unknown."
    )
    review_count = models.PositiveIntegerField(default=0)
    last_approved_at = models.DateTimeField(null=True, blank=True)
    tier = models.CharField(
        max_length=16,
        choices=RoutingTier.choices,
        blank=True,
        help_text="The routing tier that served its work, where the gateway says; else all.",
    )
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["repo", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["repo", "number"],
                name="pull_request_key",
                violation_error_message="This repository already has this pull request.",
            )
        ]
        indexes = [
            models.Index(fields=["team", "merged_at"]),
            models.Index(fields=["author", "merged_at"]),
            models.Index(fields=["repo", "updated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"


class PullRequestReview(models.Model):
    """One review event on a pull request (approved, changes requested, commented)."""

    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="reviews")
    github_id = models.BigIntegerField()
    reviewer = models.CharField(max_length=100)
    state = models.CharField(max_length=32)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["pull_request", "submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pull_request", "github_id"],
                name="pull_request_review_key",
                violation_error_message="This review is already recorded.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pull_request} {self.state} by {self.reviewer}"


class EscapedDefect(models.Model):
    """An issue labelled as an escaped defect that names the merged pull request it came from."""

    repo = models.CharField(max_length=200)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField()
    pull_request = models.ForeignKey(
        PullRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="defects"
    )
    referenced = models.CharField(
        max_length=200, blank=True, help_text="The reference as written, e.g. acme/api#123."
    )
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["repo", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["repo", "number"],
                name="escaped_defect_key",
                violation_error_message="This issue is already recorded.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.repo}#{self.number} (escaped defect)"


class ModelAlias(models.Model):
    """A name a gateway logs for a model (e.g. anthropic/claude-sonnet-4-5) and its version."""

    name = models.CharField(max_length=200, unique=True)
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="aliases"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return f"{self.name} -> {self.model_version}"


class GatewayRequest(models.Model):
    """One request an AI gateway logged; kept so an overlapping file never double-counts.

    Millions arrive per import, so the table carries one index besides its key (the day the
    roll-ups re-read) and its references are not database constraints: each one costs every
    insert an index update and a check at commit (P5 in bench/README.md). The importer only
    writes ids it has just read from the database.
    """

    request_id = models.CharField(max_length=200, primary_key=True)
    started_at = models.DateTimeField()
    day = models.DateField()
    model = models.CharField(max_length=200)
    model_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    tier = models.CharField(max_length=16, choices=RoutingTier.choices, blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    team_key = models.CharField(max_length=200, blank=True, help_text="The gateway's team.")
    user = models.CharField(max_length=200, blank=True)
    api_key_hash = models.CharField(max_length=128, blank=True)
    tags = models.JSONField(default=list, blank=True)
    input_tokens = models.BigIntegerField(default=0)
    cached_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    spend = models.DecimalField(max_digits=16, decimal_places=8, default=0)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    cache_hit = models.BooleanField(default=False)
    status = models.CharField(max_length=32, blank=True)
    import_run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.request_id} {self.model}"


class GatewayDaily(models.Model):
    """Requests, tokens and spend per day, team, model and routing tier (rolled up in SQL)."""

    day = models.DateField()
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_key = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=200)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(max_length=16, choices=RoutingTier.choices, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    requests = models.PositiveIntegerField()
    input_tokens = models.BigIntegerField()
    cached_tokens = models.BigIntegerField()
    output_tokens = models.BigIntegerField()
    spend = models.DecimalField(max_digits=18, decimal_places=8)

    class Meta:
        ordering = ["day", "team_key", "model"]
        verbose_name_plural = "gateway daily roll-ups"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team_key", "model", "currency"],
                name="gateway_daily_key",
                violation_error_message="This day already has a roll-up for this team and model.",
            )
        ]
        indexes = [models.Index(fields=["team", "day"]), models.Index(fields=["tier", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.team_key} {self.model}: {self.requests} requests"


class GatewayMonthly(models.Model):
    """GatewayDaily summed per calendar month (kept by `gateway_months_refresh`), so a range of
    whole months reads a few hundred rows instead of every day's."""

    month = models.DateField(help_text="The month's first day.")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_key = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=200)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(max_length=16, choices=RoutingTier.choices, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    requests = models.BigIntegerField()
    input_tokens = models.BigIntegerField()
    cached_tokens = models.BigIntegerField()
    output_tokens = models.BigIntegerField()
    spend = models.DecimalField(max_digits=20, decimal_places=8)
    days = models.PositiveIntegerField(help_text="How many daily roll-ups this row sums.")

    class Meta:
        ordering = ["month", "team_key", "model"]
        verbose_name_plural = "gateway monthly roll-ups"
        # Wider than GatewayDaily's key: within a month one team key and model can carry
        # another team or version on some days (a team renamed, an alias changed), and
        # every figure groups on team, version and tier, so the month keeps them apart.
        constraints = [
            models.UniqueConstraint(
                fields=["month", "team_key", "model", "currency", "team", "model_version", "tier"],
                name="gateway_monthly_key",
            )
        ]
        indexes = [models.Index(fields=["currency", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.team_key} {self.model}: {self.requests} requests"


class CopilotUserDay(models.Model):
    """One person's Copilot activity on one day (the user-level usage-metrics report)."""

    day = models.DateField()
    login = models.CharField(max_length=100)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interactions = models.PositiveIntegerField(default=0)
    code_generations = models.PositiveIntegerField(default=0)
    code_acceptances = models.PositiveIntegerField(default=0)
    loc_suggested = models.PositiveIntegerField(default=0)
    loc_added = models.PositiveIntegerField(default=0)
    used_chat = models.BooleanField(default=False)
    used_agent = models.BooleanField(default=False)
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["day", "login"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "login"],
                name="copilot_user_day_key",
                violation_error_message="This person's day is already recorded.",
            )
        ]
        indexes = [models.Index(fields=["team", "day"])]

    def __str__(self) -> str:
        return f"{self.login} {self.day}"


class CopilotOrgDay(models.Model):
    """An organisation's or enterprise's Copilot totals on one day, and its seats where known."""

    day = models.DateField()
    scope = models.CharField(max_length=200, help_text="Organisation or enterprise id.")
    daily_active_users = models.PositiveIntegerField(default=0)
    weekly_active_users = models.PositiveIntegerField(default=0)
    monthly_active_users = models.PositiveIntegerField(default=0)
    engaged_users = models.PositiveIntegerField(
        default=0, help_text="Users who accepted code or started an interaction that day."
    )
    code_generations = models.PositiveIntegerField(default=0)
    code_acceptances = models.PositiveIntegerField(default=0)
    loc_added = models.PositiveIntegerField(default=0)
    seats_paid = models.PositiveIntegerField(null=True, blank=True)
    seats_active = models.PositiveIntegerField(null=True, blank=True)
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["day", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "scope"],
                name="copilot_org_day_key",
                violation_error_message="This day is already recorded for this scope.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.day}"


class TeamMetricValue(models.Model):
    """One week's value of a metric for a team, derived from imported evidence."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="metric_values")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=16, blank=True, help_text="Routing tier; empty for all.")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(
        max_digits=16, decimal_places=4, help_text="The median where the metric says so."
    )
    mean = models.DecimalField(
        max_digits=16, decimal_places=4, null=True, blank=True, help_text="Beside a median."
    )
    sample_size = models.PositiveIntegerField()
    source = models.CharField(max_length=40, help_text="e.g. github, gateway, copilot.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team_id", "metric_id", "tier", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "metric", "tier", "period_start"],
                name="team_metric_value_key",
                violation_error_message="This week already has a value for this metric.",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="team_metric_period_ordered",
                violation_error_message="The period ends before it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(sample_size__gte=1),
                name="team_metric_sample_positive",
                violation_error_message="The sample size must be above zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.metric} {self.period_start}: {self.value}"
