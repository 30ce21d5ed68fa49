"""Forms for the pilot pages; each saves through a service (see vendors.kit.admin.ServiceForm)."""

from django import forms

from governance.choices import Decision, ReviewDecision, Source, Workflow
from governance.models import Baseline, KillCriterion, Metric, Pilot, Team
from governance.models.pilots import CHARTER_FIELDS, window_checkpoints
from governance.services import pilots as ps
from vendors.choices import Currency
from vendors.kit.admin import ServiceForm

DATE = forms.DateInput(attrs={"type": "date"})


class MetricSelect(forms.Select):
    """A metric <select> whose options carry the name, unit and hint the page's script reads."""

    metrics: dict[str, Metric]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        metric = self.metrics.get(str(value))
        if metric is not None:
            option["attrs"].update(
                {
                    "data-name": metric.name,
                    "data-unit": metric.unit,
                    "data-hint": metric.hint,
                    "data-description": metric.description,
                }
            )
        return option


class MetricGuideMixin:
    """A form with a metric field: its options carry their units, and the page lists them all."""

    def set_up_metrics(self) -> None:
        self.metrics = list(Metric.objects.all())
        field = self.fields["metric"]
        field.queryset = Metric.objects.all()
        field.widget = MetricSelect(choices=field.choices)
        field.widget.metrics = {str(m.pk): m for m in self.metrics}
        field.help_text = "Each metric's unit, range and an example are listed below the form."

    @property
    def chosen_metric(self) -> Metric | None:
        """The metric picked (bound) so the page can show its hint without script."""
        key = str(self["metric"].value() or "")
        return next((m for m in self.metrics if str(m.pk) == key), None)


class CheckpointsField(forms.CharField):
    """Checkpoint days typed as "30, 90, 180"."""

    def to_python(self, value) -> list[int]:
        if isinstance(value, list):
            return value
        text = super().to_python(value)
        try:
            return [int(part) for part in text.replace(" ", "").split(",") if part]
        except ValueError as error:
            raise forms.ValidationError(
                "Give whole days separated by commas, e.g. 30, 90, 180."
            ) from error

    def prepare_value(self, value) -> str:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else value


class PilotForm(ServiceForm):
    """Register a pilot (or change a draft)."""

    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text="1 to 3 teams.",
    )
    workflows = forms.MultipleChoiceField(
        choices=Workflow.choices, widget=forms.CheckboxSelectMultiple, help_text="1 or 2."
    )
    checkpoint_days = CheckpointsField(
        required=False,
        help_text="Days after start, inside the window. Leave empty for the window's defaults: "
        "30, 90, 180 for 6 months; 30, 90, 180, 365 for 12 months.",
    )

    class Meta:
        model = Pilot
        fields = CHARTER_FIELDS
        widgets = {
            "title": forms.TextInput(attrs={"placeholder": "e.g. Helix Code for payments tests"}),
            "planned_start": DATE,
            "planned_end": DATE,
            "use_case": forms.Textarea(
                attrs={
                    "rows": 3,
                    "placeholder": "e.g. Generate unit tests for the payments service's new "
                    "endpoints; reviewers check every generated test.",
                }
            ),
            "duration_justification": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "title": "A name people will recognise in lists and packets.",
            "use_case": "What the teams will use the tool for, in a sentence or two.",
            "grace_days": "Days after the start during which kill criteria do not count: "
            "results dip before they recover. Usually 30 to 60.",
        }

    def clean_teams(self) -> list[Team]:
        teams = list(self.cleaned_data["teams"])
        # The service's rule, checked here too so it is reported with every other mistake.
        problem = ps.teams_problem(teams)
        if problem:
            raise forms.ValidationError(problem)
        return teams

    def run_service(self):
        data = dict(self.cleaned_data)
        teams = list(data.pop("teams"))
        if self.instance.pk:
            return ps.pilot_update(
                pilot=Pilot.objects.get(pk=self.instance.pk),
                teams=teams,
                actor=self.request.user,
                **data,
            )
        return ps.pilot_create(teams=teams, actor=self.request.user, **data)

    def clean_checkpoint_days(self) -> list[int]:
        days = self.cleaned_data.get("checkpoint_days")
        if days:
            return days
        return window_checkpoints(int(self.cleaned_data.get("window_months") or 6))

    def _post_clean(self) -> None:
        # The pilot's agentic flag comes from the offering in the service, so the model
        # validation of the unsaved instance runs there, once.
        self.instance.agentic = bool(
            self.cleaned_data.get("offering") and self.cleaned_data["offering"].agentic
        )
        super()._post_clean()


class BaselineForm(MetricGuideMixin, ServiceForm):
    """Record a measured baseline on the pilot page."""

    class Meta:
        model = Baseline
        fields = ["metric", "tier", "value", "sample_size", "period_start", "period_end", "source"]
        widgets = {
            "period_start": DATE,
            "period_end": DATE,
            "value": forms.NumberInput(attrs={"step": "any", "placeholder": "e.g. 18.5"}),
        }
        help_texts = {
            "tier": "Only for cycle time, which is measured per complexity tier.",
            "period_end": "The period ends before the pilot's planned start.",
        }

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        self.instance.pilot = pilot
        self.set_up_metrics()
        # Derived baselines come from "Compute baselines", never from this form.
        self.fields["source"].choices = [
            c for c in self.fields["source"].choices if c[0] != Source.DERIVED
        ]

    def validate_unique(self) -> None:
        """Recording a baseline twice corrects it (an upsert), so uniqueness is not an error."""

    def run_service(self):
        return ps.baseline_set(pilot=self.pilot, actor=self.request.user, **self.cleaned_data)


class KillCriterionForm(MetricGuideMixin, ServiceForm):
    """Pre-commit a kill criterion on the pilot page; "Preview" shows its sentence unsaved."""

    PREVIEW = "preview"  # the name of the submit button that checks and words it, saving nothing

    class Meta:
        model = KillCriterion
        fields = [
            "metric",
            "tier",
            "comparator",
            "threshold",
            "evaluate_from_day",
            "consecutive_periods",
            "min_sample_size",
            "require_clear_breach",
        ]

        widgets = {
            "threshold": forms.NumberInput(attrs={"step": "any", "placeholder": "e.g. 20"}),
        }
        help_texts = {"tier": "Only for cycle time, which is measured per complexity tier."}

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        self.instance.pilot = pilot
        self.previewing = self.PREVIEW in self.data
        self.fields["evaluate_from_day"].initial = pilot.grace_days
        self.fields[
            "evaluate_from_day"
        ].help_text += f" This pilot's grace ends on day {pilot.grace_days}."
        self.set_up_metrics()

    def run_service(self):
        if self.previewing:
            return None
        return ps.kill_criterion_add(pilot=self.pilot, actor=self.request.user, **self.cleaned_data)

    @property
    def plain_words(self) -> str | None:
        """The sentence the criterion will read as (the page's script writes the same one live).

        From what was typed, valid or not, so it also works without script; None until the
        metric, comparator and threshold are given.
        """
        if not self.is_bound:
            return None
        data = getattr(self, "cleaned_data", {})
        # A field that failed its checks falls back to its default, like an untouched one.
        values = {name: data.get(name, self.fields[name].initial) for name in self._meta.fields}
        if values["metric"] is None or not values["comparator"] or values["threshold"] is None:
            return None
        return KillCriterion(pilot=self.pilot, **values).plain_words


class SignForm(forms.Form):
    """A one-click sign-off with an optional comment (required to reject)."""

    role = forms.CharField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=Decision.choices, initial=Decision.APPROVE)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    """Finance's quarterly decision, with optional best-case estimates (flagged as such)."""

    # No default: a decision finance did not choose must not be recorded by a click.
    decision = forms.ChoiceField(
        choices=[("", "Choose a decision"), *ReviewDecision.choices], initial=""
    )
    seat_delta = forms.IntegerField(
        initial=0, min_value=-(10**6), max_value=10**6, help_text="Seats added (+) or removed (-)."
    )
    budget_delta = forms.DecimalField(
        initial=0, max_digits=14, decimal_places=2, help_text="Annual budget change."
    )
    currency = forms.ChoiceField(
        choices=Currency.choices,
        initial=Currency.USD,
        required=False,
        help_text="Spend in other currencies is left out of the ROI (never converted).",
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    est_engineers = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        label="Best case: engineers (estimate)",
    )
    est_cycle_time_saving_hours = forms.DecimalField(
        required=False,
        max_digits=18,
        decimal_places=4,
        label="Best case: cycle-time saving per PR, hours (estimate)",
    )
    est_other_audited_benefits = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        label="Best case: other benefits (estimate)",
    )

    def service_kwargs(self) -> dict:
        """The decision fields and the estimates dict the review services take."""
        data = self.cleaned_data
        estimates = {
            name[4:]: value
            for name, value in data.items()
            if name.startswith("est_") and value is not None
        }
        fields = {k: v for k, v in data.items() if not k.startswith("est_") and k != "reason"}
        if "currency" in self.fields:
            fields["currency"] = fields.get("currency") or Currency.USD
        return {**fields, "estimates": estimates or None}


class SupersedeForm(DecisionForm):
    """A correction of a signed review: the new decision and why the old one was wrong."""

    currency = None  # a correction keeps the corrected review's currency

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Why the signed review is corrected"
    )


class ControlTeamsForm(forms.Form):
    """Name a pilot's control teams on its page (the service refuses its own teams)."""

    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
