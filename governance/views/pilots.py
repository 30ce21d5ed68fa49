"""Pilot pages: list, register, the pilot page and its steps."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from governance.charts import svg_response
from governance.choices import PacketKind, PilotStatus, Role, SubjectKind
from governance.forms import (
    BaselineForm,
    ControlTeamsForm,
    KillCriterionForm,
    PilotForm,
    SignForm,
)
from governance.models import Packet, Pilot, SignOff
from governance.permissions import get_object_for_user
from governance.selectors import pilots as pilot_selectors
from governance.selectors.effects import (
    control_team_suggestions,
    controls_fixed_at,
    pilot_effects_report,
)
from governance.selectors.model_switches import pilot_model_timeline, pilot_switches
from governance.selectors.packets import pilot_refusal
from governance.selectors.pilots import next_step_problems
from governance.selectors.signoffs import pending_roles, signoffs_at_stake
from governance.selectors.sources import pilot_sources, readable_sources
from governance.selectors.users import user_roles
from governance.services import pilots as ps
from governance.services.checkpoints import EVALUABLE, checkpoint_evaluate
from governance.services.signoffs import signers_tell_revoked, signoff_record
from governance.services.team_metrics import DEFAULT_BASELINE_WEEKS, pilot_baselines_compute
from vendors.kit.services import parse_id

PAGE_SIZE = 25


@permission_required("governance.view_pilot", raise_exception=True)
def pilot_list(request: HttpRequest) -> HttpResponse:
    """All pilots, or mine, filtered by status."""
    mine = request.GET.get("mine") == "1"
    status = request.GET.get("status", "")
    if status not in PilotStatus.values:
        status = ""
    pilots = pilot_selectors.pilot_list(user=request.user, mine=mine, status=status)
    # Paged: hundreds of pilots would make the page (and its query time) grow with the data.
    page = Paginator(pilots, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/pilots/list.html",
        {
            "pilots": page.object_list,
            "page": page,
            "mine": mine,
            "status": status,
            "statuses": PilotStatus.choices,
        },
    )


@permission_required("governance.add_pilot", raise_exception=True)
def pilot_register(request: HttpRequest) -> HttpResponse:
    """Register a pilot; errors show next to their fields."""
    form = PilotForm(request.POST or None)
    form.request = request
    if request.method == "POST" and form.is_valid():
        pilot = form.result
        messages.success(request, f"Registered {pilot}. Add its baselines and kill criteria.")
        return redirect("pilot-page", pk=pilot.pk)
    return render(request, "governance/pilots/form.html", {"form": form})


def _timeline(pilot: Pilot) -> list[dict]:
    start = pilot.started_on or pilot.planned_start
    grace_end = start + timedelta(days=pilot.grace_days)
    points = [{"day": 0, "date": start, "label": "start"}]
    points += [
        {
            "day": d,
            "date": start + timedelta(days=d),
            "label": f"checkpoint day {d}",
            "in_grace": d < pilot.grace_days,
        }
        for d in pilot.checkpoint_days
    ]
    points.append(
        {"day": pilot.grace_days, "date": grace_end, "label": "end of stabilisation grace"}
    )
    return sorted(points, key=lambda p: p["day"])


def _approvers() -> str:
    """The roles that may approve a pilot, in words (read from the role table)."""
    from governance.roles import ROLE_PERMISSIONS

    names = [
        Role(role).label
        for role, perms in ROLE_PERMISSIONS.items()
        if "approve" in perms.get("governance.pilot", ())
    ]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


def _checkpoint(request: HttpRequest) -> int | None:
    """The ?checkpoint= day the effects are read at, when a valid one is given."""
    day = parse_id(request.GET.get("checkpoint"), digits=3)
    return day if day and day <= 730 else None


def _detail(
    request,
    pilot: Pilot,
    baseline_form=None,
    kill_form=None,
    controls_form=None,
    status=200,
    confirm=None,
):
    controls_fixed = controls_fixed_at(pilot)
    can_set_controls = (
        request.user.has_perm("governance.set_controls_pilot", pilot) and controls_fixed is None
    )
    if can_set_controls and controls_form is None:
        controls_form = ControlTeamsForm(
            initial={"teams": list(pilot.control_teams.values_list("pk", flat=True))}
        )
    can_edit = request.user.has_perm("governance.change_pilot", pilot) and not pilot.frozen
    sign_roles = []
    if pilot.status == PilotStatus.SUBMITTED:  # only a submitted charter is signed
        mine = set(user_roles(user=request.user))
        sign_roles = pending_roles(kind=SubjectKind.PILOT, subject=pilot, among=mine)
    # Read once, for their tables and the charts' baseline and threshold lines.
    baselines = list(pilot.baselines.select_related("metric"))
    kill_criteria = list(pilot.kill_criteria.select_related("metric"))
    # Read, not drawn: each chart is its own image request (pilot_chart), so the page answers
    # before the ~0.1 s a chart takes to draw, and every chart is drawn afresh from its rows.
    charts = pilot_selectors.pilot_chart_specs(
        pilot=pilot, baselines=baselines, kill_criteria=kill_criteria
    )
    return render(
        request,
        "governance/pilots/detail.html",
        {
            "pilot": pilot,
            "baselines": baselines,
            "kill_criteria": kill_criteria,
            "history": pilot.history.select_related("actor"),
            "signoffs": SignOff.objects.filter(
                subject_kind=SubjectKind.PILOT, subject_id=pilot.pk
            ).select_related("user"),
            "blockers": next_step_problems(pilot),
            "timeline": _timeline(pilot),
            "can_edit": can_edit,
            "is_owner": request.user.has_perm("governance.change_pilot", pilot),
            "can_approve": request.user.has_perm("governance.approve_pilot", pilot),
            "approvers": _approvers(),
            "baseline_form": baseline_form or (BaselineForm(pilot=pilot) if can_edit else None),
            "kill_form": kill_form or (KillCriterionForm(pilot=pilot) if can_edit else None),
            "sign_roles": sign_roles,
            "charts": charts,
            "evaluations": pilot.evaluations.prefetch_related("results__criterion__metric"),
            "packets": Packet.objects.filter(
                Q(kind=PacketKind.PILOT_CHARTER, subject_id=pilot.pk)
                | Q(kind=PacketKind.CHECKPOINT, subject_id__in=pilot.evaluations.values("pk"))
            ),
            "charter_packet_possible": pilot_refusal(pilot) is None,
            "effects": pilot_effects_report(pilot=pilot, checkpoint=_checkpoint(request)),
            "model_timeline": pilot_model_timeline(pilot=pilot),
            "model_switches": pilot_switches(pilot=pilot),
            "controls_form": controls_form if can_set_controls else None,
            "controls_fixed": controls_fixed,
            "suggestions": control_team_suggestions(pilot=pilot) if can_set_controls else [],
            # (which form, Stake): the change waits for "Save and revoke" on that form.
            "confirm_form": confirm[0] if confirm else "",
            "confirm_stake": confirm[1] if confirm else None,
            "readable_sources": readable_sources(request.user, pilot_sources(pilot)),
            "can_evaluate": pilot.status in EVALUABLE
            and request.user.has_perm("governance.add_checkpointevaluation", pilot),
        },
        status=status,
    )


@require_POST
def pilot_set_controls(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the pilot's control teams (its owner or platform)."""
    pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "view", pk=pk)
    form = ControlTeamsForm(request.POST)
    if form.is_valid():
        try:
            ps.pilot_controls_set(pilot=pilot, teams=form.cleaned_data["teams"], actor=request.user)
        except ValidationError as error:
            form.add_error("teams", error.message_dict.get("control_teams", error.messages))
        else:
            messages.success(request, "Control teams saved.")
            return redirect("pilot-page", pk=pk)
    return _detail(request, pilot, controls_form=form, status=400)


def pilot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Scope, baselines, kill criteria in plain words, timeline, history, sign-offs, blockers."""
    pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "view", pk=pk)
    return _detail(request, pilot)


def pilot_chart(request: HttpRequest, pk: int, metric_id: int, tier: str) -> HttpResponse:
    """One metric's chart on the pilot page, drawn afresh as an SVG image."""
    pilot = get_object_for_user(request.user, Pilot.objects.all(), "view", pk=pk)
    tier = "" if tier == pilot_selectors.ALL_TIERS else tier
    specs = pilot_selectors.pilot_chart_specs(pilot=pilot, only=(metric_id, tier))
    if not specs:
        raise Http404("No such chart on this pilot.")
    return svg_response(pilot_selectors.chart_draw(specs[0]))


def _charter_post(request: HttpRequest, pk: int, form_class, form_arg: str, done) -> HttpResponse:
    """Save a charter form posted from the pilot page; on errors show it there (HTTP 400).

    A submitted charter someone already signed is confirmed first: the page says whose
    sign-offs the change makes cover an earlier version, and saves on "Save and revoke"."""
    pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "change", pk=pk)
    stake = (
        signoffs_at_stake(kind=SubjectKind.PILOT, subject=pilot)
        if pilot.status == PilotStatus.SUBMITTED
        else None
    )
    if stake is not None and not request.POST.get("confirm_revoke"):
        # Unbound, so showing it runs no service; the entries come back as initial values.
        form = form_class(initial=request.POST.dict(), pilot=pilot)
        return _detail(request, pilot, **{form_arg: form}, confirm=(form_arg, stake))
    form = form_class(request.POST, pilot=pilot)
    form.request = request
    if form.is_valid():
        if getattr(form, "previewing", False):  # checked and worded, nothing saved
            return _detail(request, pilot, **{form_arg: form})
        messages.success(request, done(form.result))
        if stake is not None:
            signers_tell_revoked(
                stake=stake,
                actor=request.user,
                change=done(form.result).rstrip("."),
                link=reverse("pilot-page", args=[pk]),
            )
        return redirect("pilot-page", pk=pk)
    return _detail(request, pilot, **{form_arg: form}, status=400)


@require_POST
def pilot_add_baseline(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a baseline from the pilot page."""
    return _charter_post(
        request, pk, BaselineForm, "baseline_form", lambda b: f"Baseline recorded: {b}."
    )


@require_POST
def pilot_add_kill_criterion(request: HttpRequest, pk: int) -> HttpResponse:
    """Pre-commit a kill criterion from the pilot page."""
    return _charter_post(
        request,
        pk,
        KillCriterionForm,
        "kill_form",
        lambda k: f"Kill criterion added: {k.plain_words}.",
    )


@require_POST
def pilot_compute_baselines(request: HttpRequest, pk: int) -> HttpResponse:
    """Record baselines from the teams' series over the weeks before the start."""
    pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "change", pk=pk)
    weeks = parse_id(request.POST.get("weeks", "")) or DEFAULT_BASELINE_WEEKS
    try:
        baselines = pilot_baselines_compute(pilot=pilot, actor=request.user, weeks=weeks)
        replaced = [b for b in baselines if "replaced" in b.provenance]
        messages.success(
            request,
            f"{len(baselines)} baseline{pluralize(len(baselines))} computed from the "
            f"{weeks} weeks before {pilot.planned_start}."
            + (
                f" {len(replaced)} typed by hand {pluralize(len(replaced), 'was,were')} "
                f"replaced: {', '.join(str(b.metric) for b in replaced)}."
                if replaced
                else ""
            ),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("pilot-page", pk=pk)


@require_POST
def pilot_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """Evaluate a checkpoint now (idempotent)."""
    pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "view", pk=pk)
    day = request.POST.get("checkpoint_day", "")
    try:
        record = checkpoint_evaluate(
            pilot=pilot, actor=request.user, checkpoint_day=parse_id(day) or -1
        )
        messages.success(request, f"Checkpoint day {record.checkpoint_day} evaluated.")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("pilot-page", pk=pk)


STEPS = {
    "submit": ps.pilot_submit,
    "approve": ps.pilot_approve,
    "start": ps.pilot_start,
    "withdraw": ps.pilot_withdraw,
}
# What each step's success says on the pilot page.
STEP_DONE = {
    "submit": "submitted for sign-off",
    "approve": "approved",
    "start": "started",
    "withdraw": "withdrawn",
}


@require_POST
def pilot_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Run a lifecycle step; a refusal lists what is missing."""
    pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "view", pk=pk)
    service = STEPS.get(step)
    if service is None:
        raise PermissionDenied("Unknown step.")
    try:
        service(pilot=pilot, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, f"{pilot}: {STEP_DONE[step]}.")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("pilot-page", pk=pk)


@require_POST
def pilot_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign the pilot charter in one of the user's roles."""
    pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "view", pk=pk)
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            signoff_record(
                kind=SubjectKind.PILOT, subject=pilot, actor=request.user, **form.cleaned_data
            )
            role = Role(form.cleaned_data["role"]).label
            messages.success(request, f"Signed {pilot} as {role}.")
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
    else:
        messages.error(request, "The sign-off form was incomplete.")
    if request.POST.get("from_queue"):
        return redirect("signoff-queue")
    return redirect("pilot-page", pk=pk)
