"""Codes shown to people: a human name for every choice code, and status badges.

A badge is a status's words in a colour that says how it stands. Colour is never the only
signal (the words are always there); the tone only groups statuses into good, bad, waiting and
neutral so a reader finds the ones that need them.
"""

import inspect

from django import template
from django.db import models
from django.utils.html import format_html, format_html_join

from governance import choices as governance_choices
from vendors import choices as vendor_choices

register = template.Library()


def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for module in (governance_choices, vendor_choices):
        for _, kind in inspect.getmembers(module, inspect.isclass):
            if issubclass(kind, models.TextChoices) and kind is not models.TextChoices:
                for value, label in kind.choices:
                    names.setdefault(value, str(label))
    return names


# Every code of every TextChoices: where two share a code, governance's name is kept;
# a page that knows the field uses get_FOO_display instead.
NAMES = _names()

# Codes from governance.choices and vendors.choices, by how they stand for the reader.
TONES: dict[str, str] = {
    **dict.fromkeys(
        (
            "approved",
            "running",
            "ready",
            "satisfied",
            "published",
            "expanded",
            "concluded",
            "approve",
            "expand",
            "genuine",
            "ok",
            "covered",
            "verified",
            "active",
            "signed",
            "decided",
        ),
        "ok",
    ),
    **dict.fromkeys(
        (
            "killed",
            "kill",
            "rejected",
            "reject",
            "failed",
            "not_satisfied",
            "breached",
            "contracted",
            "contract",
            "withdrawn",
            "missing",
            "changed",
            "revoked",
            "expired",
            "gap",
            "kill_breached",
        ),
        "bad",
    ),
    **dict.fromkeys(
        (
            "submitted",
            "under_review",
            "queued",
            "rendering",
            "open",
            "in_review",
            "excepted",
            "hold",
            "partial",
            "pending",
            "grace",
            "insufficient_data",
        ),
        "warn",
    ),
    **dict.fromkeys(
        ("draft", "closed", "superseded", "not_applicable", "in_grace", "recorded"), "info"
    ),
}


@register.filter
def human(code) -> str:
    """A choice code in words: 'under_review' -> 'Under review', 'program' -> 'Program'."""
    if code is None or code == "":
        return ""
    text = str(code)
    return NAMES.get(text) or text.replace("_", " ").capitalize()


@register.simple_tag
def badge(code, label="") -> str:
    """`{% badge pilot.status pilot.get_status_display %}` -> a coloured pill with the label."""
    tone = TONES.get(str(code), "")
    css = f"badge badge-{tone}" if tone else "badge"
    return format_html(
        '<span class="{}" data-status="{}">{}</span>', css, code, label or human(code)
    )


@register.simple_tag(takes_context=True)
def rows_links(context, scope: str, pk: int, names: str, query: str = "") -> str:
    """`{% rows_links "pilot" pilot.pk "measurements,team-series" %}`: links to the rows behind
    a figure, for the groups of rows the reader may list (`readable_sources` in the context)."""
    from django.urls import reverse
    from django.utils.html import format_html_join

    readable = context.get("readable_sources") or {}
    links = [
        (f"{reverse('rows', args=[scope, pk, name])}{'?' + query if query else ''}", readable[name])
        for name in names.split(",")
        if name in readable
    ]
    if not links:
        return ""
    return format_html(
        '<p class="muted rows-links">The rows behind these figures: {}</p>',
        format_html_join(" · ", '<a href="{}">{}</a>', links),
    )


@register.simple_tag
def options(items, selected, blank: str = "all"):
    """A filter's <option>s: a blank one, then each item's pk and name, the selected marked.

    One tag call instead of a loop of tags: a list of every vendor and team was a tenth of a
    portfolio page's rendering."""
    chosen = str(selected) if selected not in (None, "") else None
    return format_html('<option value="">{}</option>', blank) + format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (item["pk"], " selected" if str(item["pk"]) == chosen else "", item["name"])
            for item in items
        ),
    )
