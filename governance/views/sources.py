"""The rows behind a figure of a pilot's or a program's pages (governance/selectors/sources.py)."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from governance.permissions import get_object_for_user
from governance.selectors import pilots as pilot_selectors
from governance.selectors.finance import program_pilots
from governance.selectors.sources import (
    pilot_sources,
    program_sources,
    source_perm,
    source_rows,
    source_summary,
)
from vendors.kit.services import parse_day
from vendors.models import Offering

ROWS_PER_PAGE = 100
PROGRAM_PERM = "governance.view_quarterlyreview"


def sources_of(request: HttpRequest, scope: str, pk: int) -> tuple[object, str, list]:
    """(subject, its page's URL, its sources) for a pilot or a program the user may see."""
    until, since = parse_day(request.GET.get("until")), parse_day(request.GET.get("since"))
    if scope == "pilot":
        pilot = get_object_for_user(request.user, pilot_selectors.pilot_list(), "view", pk=pk)
        return (
            pilot,
            reverse("pilot-page", args=[pk]),
            pilot_sources(pilot, until=until, since=since),
        )
    if scope == "program":
        if not request.user.has_perm(PROGRAM_PERM):
            raise PermissionDenied
        offering = get_object_or_404(Offering.objects.select_related("vendor"), pk=pk)
        # The decide page is finance's; everyone else who reads reviews goes back to the list.
        back = (
            f"{reverse('review-decide')}?scope=program&id={pk}"
            if request.user.has_perm("governance.decide_quarterlyreview")
            else reverse("finance")
        )
        pilots = program_pilots(offering)
        return offering, back, program_sources(offering, pilots, until=until, since=since)
    raise Http404("Rows belong to a pilot or a program.")


def _choices(model, lookup: str) -> dict:
    """The choice labels of the field a lookup ends on ({} for a field without choices)."""
    field = None
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:  # a JSON key (provenance__query) has no field of its own
            return {}
        model = field.related_model or model
    return dict(field.flatchoices) if field is not None and field.choices else {}


def _for_people(value, choices: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if choices:
        return str(choices.get(value, value))
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, Decimal):
        return format(value.normalize(), ",f")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def rows_page(request: HttpRequest, scope: str, pk: int, source: str) -> HttpResponse:
    """One group of rows behind a pilot's or a program's figures: how many, their dates and
    SHA-256 (as a packet would list them), then the rows themselves, a page at a time."""
    subject, back, sources = sources_of(request, scope, pk)
    found = next((s for s in sources if s.name == source), None)
    if found is None:
        raise Http404("No such group of rows.")
    if not request.user.has_perm(source_perm(found)):
        raise PermissionDenied
    page = Paginator(source_rows(found), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    choices = {lookup: _choices(found.rows.model, lookup) for _, lookup in found.shown}
    query = "&".join(f"{k}={request.GET[k]}" for k in ("since", "until") if request.GET.get(k))
    return render(
        request,
        "governance/sources/rows.html",
        {
            "subject": subject,
            "back": back,
            "source": found,
            "summary": source_summary(found),
            "headers": [header for header, _ in found.shown],
            "rows": [
                [_for_people(row[lookup], choices[lookup]) for _, lookup in found.shown]
                for row in page
            ],
            "page": page,
            "query": query,
            "others": [
                s for s in sources if s.name != found.name and request.user.has_perm(source_perm(s))
            ],
        },
    )
