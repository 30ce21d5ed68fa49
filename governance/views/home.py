"""The home page: what each role does next."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse

from governance.choices import Role
from governance.selectors.users import user_roles
from governance.selectors.work_queue import work_count, work_queue

# What each role does next, in the words of the design card; links only to what exists.
ROLE_GUIDE: dict[str, dict] = {
    Role.SECURITY: {
        "summary": "Review vendors against the AI-coding procurement checklist, judge evidence "
        "and exceptions, and sign assessments, shortlists and agentic pilots.",
        "links": [
            ("Assessments", "admin:vendors_assessment_changelist"),
            ("Vendors", "admin:vendors_vendor_changelist"),
            ("Shortlist versions", "admin:vendors_shortlistversion_changelist"),
            ("Pilots waiting for my sign-off", "signoff-queue"),
        ],
    },
    Role.LEGAL: {
        "summary": "Review contract items (data residency, training opt-out, IP assignment) "
        "and sign assessments and shortlists.",
        "links": [
            ("Assessments", "admin:vendors_assessment_changelist"),
            ("Shortlist versions", "admin:vendors_shortlistversion_changelist"),
            ("Pilots waiting for my sign-off", "signoff-queue"),
        ],
    },
    Role.AI_PM: {
        "summary": "Register pilots with measured baselines and pre-committed kill criteria, "
        "record measurements and request sign-off packets.",
        "links": [
            ("My pilots", "pilots?mine=1"),
            ("Register a pilot", "pilot-register"),
            ("Sign-off packets", "packets"),
            ("Vendor registry (API)", "vendor-list"),
        ],
    },
    Role.FINANCE: {
        "summary": "Sign pilot charters, keep the spend ledger and the ROI model, and record "
        "quarterly expand / hold / contract / kill decisions.",
        "links": [
            ("Quarterly reviews, spend and ROI", "finance"),
            ("Pilots waiting for my sign-off", "signoff-queue"),
            ("Sign-off packets", "packets"),
        ],
    },
    Role.PLATFORM: {
        "summary": "Keep the model catalog and pricing current, and run the telemetry that "
        "posts measurements with an API token.",
        "links": [
            ("Vendors", "admin:vendors_vendor_changelist"),
            ("Model catalog", "admin:vendors_modelversion_changelist"),
            ("Service tokens", "admin:governance_servicetoken_changelist"),
            ("Worker heartbeats", "admin:governance_workerheartbeat_changelist"),
            ("API documentation", "api-docs"),
        ],
    },
    Role.AUDITOR: {
        "summary": "Read everything and change nothing: follow the audit trail and verify "
        "sign-off packets.",
        "links": [
            ("Audit trail", "admin:auditlog_logentry_changelist"),
            ("Export the audit trail (CSV)", "audit-export"),
            ("Sign-off packets", "packets"),
            ("Verify a packet", "packets-verify"),
        ],
    },
}


# Shown to every role: the gateway's answer in human form.
COMMON_LINKS = [("Approved-provider shortlist", "vendors:shortlist"), ("All pilots", "pilots")]


def _links(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A role's links then the common ones, each page once (a name may carry a query)."""
    named = {name.split("?")[0] for _, name in links}
    links = links + [(label, name) for label, name in COMMON_LINKS if name not in named]
    return [
        (label, reverse(name.split("?")[0]) + (f"?{name.split('?')[1]}" if "?" in name else ""))
        for label, name in links
    ]


def home(request: HttpRequest) -> HttpResponse:
    """What waits for the signed-in user (their work queue), then what their roles do."""
    roles = user_roles(user=request.user)
    queue = work_queue(user=request.user)
    cards = [
        {
            "role": Role(role).label,
            "summary": ROLE_GUIDE[role]["summary"],
            "links": _links(ROLE_GUIDE[role]["links"]),
        }
        for role in roles
    ]
    return render(
        request,
        "governance/home.html",
        {"cards": cards, "roles": roles, "queue": queue, "work_count": len(queue)},
    )


def work_count_page(request: HttpRequest) -> JsonResponse:
    """How many things wait for the signed-in user: the header's "My work" count, which every
    page reads after it has loaded (governance/static/governance/work-count.js), so no page
    waits for the count of every kind of work. Counted afresh, never cached."""
    response = JsonResponse({"count": work_count(user=request.user)})
    response["Cache-Control"] = "private, no-cache"
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask of pages that name none (the admin's): the static icon.

    Resolved per request: under the production static storage the hashed name exists only
    once collectstatic has run, and the URLconf is imported before that (manage.py check).
    """
    return redirect(static("governance/favicon.svg"))
