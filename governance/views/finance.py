"""Finance pages: reviews by quarter, reviews due, and the decide page (snapshot first)."""

import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance.choices import ReviewScope, ReviewStatus, Role, SubjectKind
from governance.forms import DecisionForm, SignForm, SupersedeForm
from governance.models import Pilot, QuarterlyReview, SignOff
from governance.models.finance import QUARTER_PATTERN
from governance.permissions import get_object_for_user
from governance.selectors import finance
from governance.selectors.effects import pilot_effects_report
from governance.selectors.signoffs import pending_roles, required_roles
from governance.selectors.sources import pilot_sources, program_sources, readable_sources
from governance.selectors.users import user_roles
from governance.services import finance as fs
from vendors.choices import Currency
from vendors.kit.services import parse_id
from vendors.models import Offering


def _quarter(request: HttpRequest) -> str:
    """The quarter asked for, or the current one."""
    quarter = request.GET.get("quarter", "")
    if re.fullmatch(QUARTER_PATTERN, quarter):
        return quarter
    return finance.quarter_of(timezone.localdate())


@permission_required("governance.view_quarterlyreview", raise_exception=True)
def finance_home(request: HttpRequest) -> HttpResponse:
    """One quarter at a time: what is due, and its reviews (superseded ones included)."""
    quarter = _quarter(request)
    return render(
        request,
        "governance/finance/home.html",
        {
            "quarter": quarter,
            "quarters": finance.review_quarters(current=quarter),
            # Hundreds of running pilots can be due at once: a page of them at a time.
            "due": Paginator(finance.reviews_due(quarter=quarter), 25).get_page(
                request.GET.get("page")
            ),
            "reviews": finance.review_list(quarter=quarter),
            "can_decide": request.user.has_perm("governance.decide_quarterlyreview"),
        },
    )


def _subject(request: HttpRequest) -> tuple[str, Pilot | None, Offering | None]:
    scope = request.GET.get("scope") or request.POST.get("scope") or ReviewScope.PILOT
    raw = parse_id(request.GET.get("id") or request.POST.get("id"))
    if scope not in ReviewScope.values or raw is None:
        raise Http404("Name a pilot or a program to review.")
    if scope == ReviewScope.PILOT:
        return (
            scope,
            get_object_or_404(Pilot.objects.select_related("offering__vendor"), pk=raw),
            None,
        )
    return scope, None, get_object_or_404(Offering.objects.select_related("vendor"), pk=raw)


@permission_required("governance.decide_quarterlyreview", raise_exception=True)
def review_decide_page(request: HttpRequest) -> HttpResponse:
    """The snapshot and ROI first, then the decision form."""
    scope, pilot, offering = _subject(request)
    quarter = _quarter(request) if request.method == "GET" else request.POST.get("quarter", "")
    currency = request.GET.get("currency") or request.POST.get("currency") or Currency.USD
    if currency not in Currency.values:
        currency = Currency.USD
    form = DecisionForm(request.POST or None, initial={"currency": currency})
    if request.method == "POST" and form.is_valid():
        try:
            review = fs.review_decide(
                actor=request.user,
                quarter=quarter,
                scope=scope,
                pilot=pilot,
                offering=offering,
                **form.service_kwargs(),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Decided: {review}. It takes effect once signed.")
            return redirect("review-page", pk=review.pk)
    as_of = timezone.localdate()
    if re.fullmatch(QUARTER_PATTERN, quarter):
        # Preview what deciding will freeze: a late decision takes its own quarter's data.
        as_of = min(as_of, finance.quarter_bounds(quarter)[1])
    snapshot = finance.review_snapshot(
        scope=scope,
        pilot=pilot,
        offering=offering,
        currency=currency,
        as_of=as_of,
    )
    pilots = finance.review_pilots(scope=scope, pilot=pilot, offering=offering)
    return render(
        request,
        "governance/finance/decide.html",
        {
            "effects": [(p, pilot_effects_report(pilot=p)) for p in pilots],
            "scope": scope,
            "subject": pilot or offering,
            "subject_id": (pilot or offering).pk,
            "quarter": quarter,
            "snapshot": snapshot,
            "form": form,
            **_rows_context(request, scope, pilot or offering, pilots, as_of),
        },
        status=400 if form.errors else 200,
    )


def _rows_context(request, scope: str, subject, pilots, until) -> dict:
    """What the snapshot's figures link to: the rows behind them, up to the as-of day."""
    sources = (
        pilot_sources(subject, until=until)
        if scope == ReviewScope.PILOT
        else program_sources(subject, pilots, until=until)
    )
    return {
        "rows_scope": "pilot" if scope == ReviewScope.PILOT else "program",
        "rows_id": subject.pk,
        "rows_query": f"until={until.isoformat()}",
        "readable_sources": readable_sources(request.user, sources),
    }


def _review_page(request, review: QuarterlyReview, supersede_form=None, status=200):
    roles = set(user_roles(user=request.user))
    open_roles = (
        pending_roles(kind=SubjectKind.QUARTERLY_REVIEW, subject=review)
        if review.status == ReviewStatus.DECIDED
        else []
    )
    return render(
        request,
        "governance/finance/review.html",
        {
            "review": review,
            "snapshot": review.snapshot,
            "required": required_roles(SubjectKind.QUARTERLY_REVIEW, review),
            "signoffs": SignOff.objects.filter(
                subject_kind=SubjectKind.QUARTERLY_REVIEW, subject_id=review.pk
            ).select_related("user"),
            "sign_roles": [r for r in open_roles if r in roles],
            "history": review.history.select_related("actor"),
            "can_supersede": review.status == ReviewStatus.SIGNED
            and request.user.has_perm("governance.decide_quarterlyreview", review),
            "supersede_form": supersede_form or SupersedeForm(),
            **_rows_context(
                request,
                review.scope,
                review.pilot or review.offering,
                finance.review_pilots(
                    scope=review.scope, pilot=review.pilot, offering=review.offering
                ),
                _as_of(review),
            ),
        },
        status=status,
    )


def _as_of(review: QuarterlyReview) -> date:
    """The day the review's frozen snapshot was read up to."""
    try:
        return date.fromisoformat((review.snapshot or {}).get("as_of", ""))
    except (TypeError, ValueError):
        return finance.quarter_bounds(review.quarter)[1]


def _reviews():
    return QuarterlyReview.objects.select_related(
        "pilot", "offering__vendor", "decided_by", "supersedes"
    )


def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One review: its frozen snapshot, sign-offs, and what signing did."""
    return _review_page(request, get_object_for_user(request.user, _reviews(), "view", pk=pk))


@require_POST
def review_sign_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign a decided review in one of the user's roles."""
    review = get_object_for_user(request.user, _reviews(), "view", pk=pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The sign-off form was incomplete.")
        return redirect("review-page", pk=pk)
    try:
        review = fs.review_sign(review=review, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Signed as {Role(form.cleaned_data['role']).label}.")
        if review.effect:
            messages.success(request, review.effect)
    return redirect("review-page", pk=pk)


@require_POST
def review_supersede_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a signed review with a new one; both stay visible."""
    review = get_object_for_user(request.user, _reviews(), "decide", pk=pk)
    form = SupersedeForm(request.POST)
    if form.is_valid():
        try:
            correction = fs.review_supersede(
                review=review,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                **form.service_kwargs(),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Recorded a correction of {review}; it needs signing.")
            return redirect("review-page", pk=correction.pk)
    return _review_page(request, review, supersede_form=form, status=400)
