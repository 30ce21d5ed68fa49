"""Who may do what: the expected-access table the matrix (test_access_matrix.py) holds the
application to, written out as data so that widening a rule fails a test until the table is
changed on purpose, in review.

Personas: the six roles, "nobody" (signed in, staff, no role) and "anonymous". A value lists
the personas allowed, separated by spaces; "roles" means the six roles, "everyone" every
persona, "" no one.

Rows that depend on the object the matrix uses (the first of each resource) say so: the pilot
is the AI PM persona's own, the packet is an assessment packet, the response is legal's item,
the notification is the AI PM's. Unsafe methods are sent with an empty body, so "allowed" means
the permission gate let the request through to validation (see test_access_matrix.py).
"""

ROLES = ("security", "legal", "ai_pm", "finance", "platform", "auditor")
EVERYONE = (*ROLES, "nobody", "anonymous")

# Admin page (":post" for a POST to it) -> the Django permission it needs.
ADMIN_OPERATIONS = {
    "changelist": "view",
    "add": "add",
    "add:post": "add",
    "change": "view",
    "change:post": "change",
    "delete": "delete",
}


def personas_of(value: str) -> set[str]:
    """The personas a table value names."""
    named = set()
    for word in value.split():
        named |= set({"roles": ROLES, "everyone": EVERYONE}.get(word, (word,)))
    return named


API: dict[str, str] = {
    "GET /api/v1/assessments/": "security legal ai_pm finance auditor",
    "POST /api/v1/assessments/": "security legal",
    "GET /api/v1/assessments/{id}/": "security legal ai_pm finance auditor",
    "POST /api/v1/assessments/{id}/approve/": "security legal",
    "GET /api/v1/assessments/{id}/coverage/": "security legal ai_pm finance auditor",
    "GET /api/v1/assessments/{id}/gaps/": "security legal ai_pm finance auditor",
    "POST /api/v1/assessments/{id}/reject/": "security legal",
    "GET /api/v1/audit/": "security legal auditor",
    "GET /api/v1/audit/{id}/": "security legal auditor",
    # Any signed-in user ends their own token; signing in is open to all.
    "POST /api/v1/auth/logout/": "roles nobody",
    "POST /api/v1/auth/logout-all/": "roles nobody",
    "POST /api/v1/auth/token/": "everyone",
    "GET /api/v1/baselines/": "roles",
    "POST /api/v1/baselines/": "ai_pm",
    "GET /api/v1/baselines/{id}/": "roles",
    "DELETE /api/v1/baselines/{id}/": "ai_pm",
    "GET /api/v1/benefits/": "ai_pm finance platform auditor",
    "POST /api/v1/benefits/": "finance",
    "GET /api/v1/benefits/{id}/": "ai_pm finance platform auditor",
    "POST /api/v1/benefits/{id}/sign/": "finance",
    "GET /api/v1/budget/": "ai_pm finance platform auditor",
    "GET /api/v1/checklist-items/": "roles",
    "POST /api/v1/checklist-items/": "",
    "GET /api/v1/checklist-items/{id}/": "roles",
    "PUT /api/v1/checklist-items/{id}/": "",
    "PATCH /api/v1/checklist-items/{id}/": "",
    "GET /api/v1/copilot/seats/": "ai_pm finance platform auditor",
    "GET /api/v1/copilot/usage/": "ai_pm finance platform auditor",
    "GET /api/v1/evaluations/": "roles",
    "GET /api/v1/evaluations/{id}/": "roles",
    "GET /api/v1/evidence/": "security legal auditor",
    "POST /api/v1/evidence/": "security legal",
    "GET /api/v1/evidence/{id}/": "security legal auditor",
    "GET /api/v1/evidence/{id}/download/": "security legal auditor",
    "GET /api/v1/exceptions/": "security legal ai_pm finance auditor",
    "POST /api/v1/exceptions/": "security",
    "GET /api/v1/exceptions/{id}/": "security legal ai_pm finance auditor",
    "POST /api/v1/exceptions/{id}/revoke/": "security",
    "GET /api/v1/frameworks/": "roles",
    "GET /api/v1/heartbeats/": "platform auditor",
    "POST /api/v1/heartbeats/": "platform",
    "GET /api/v1/imports/": "ai_pm finance platform auditor",
    "POST /api/v1/imports/": "ai_pm finance platform",
    "GET /api/v1/imports/{id}/": "ai_pm finance platform auditor",
    "POST /api/v1/imports/{id}/retry/": "ai_pm platform",
    "GET /api/v1/kill-criteria/": "roles",
    "POST /api/v1/kill-criteria/": "ai_pm",
    "GET /api/v1/kill-criteria/{id}/": "roles",
    "DELETE /api/v1/kill-criteria/{id}/": "ai_pm",
    # Who am I, and my own notifications: every signed-in user, with or without a role.
    "GET /api/v1/me/": "roles nobody",
    "GET /api/v1/measurements/": "roles",
    "GET /api/v1/measurements/{id}/": "roles",
    "POST /api/v1/measurements/bulk/": "ai_pm platform",
    "GET /api/v1/metrics/": "roles",
    "GET /api/v1/metrics/{id}/": "roles",
    "GET /api/v1/model-versions/": "roles",
    "POST /api/v1/model-versions/": "platform",
    "GET /api/v1/model-versions/{id}/": "roles",
    "PUT /api/v1/model-versions/{id}/": "platform",
    "PATCH /api/v1/model-versions/{id}/": "platform",
    "GET /api/v1/notifications/": "roles nobody",
    "POST /api/v1/notifications/{id}/read/": "ai_pm",  # the AI PM's own notification
    "GET /api/v1/offerings/": "roles",
    "POST /api/v1/offerings/": "security legal platform",
    "GET /api/v1/offerings/{id}/": "roles",
    "PUT /api/v1/offerings/{id}/": "security legal platform",
    "PATCH /api/v1/offerings/{id}/": "security legal platform",
    "GET /api/v1/packets/": "roles",
    "POST /api/v1/packets/": "security legal ai_pm finance platform",
    # An assessment packet: its details follow the assessment, which platform may not view.
    "GET /api/v1/packets/{id}/": "security legal ai_pm finance auditor",
    "GET /api/v1/packets/{id}/download/": "security legal ai_pm finance auditor",
    "POST /api/v1/packets/{id}/retry/": "security legal ai_pm finance",
    "GET /api/v1/packets/verify/": "roles",
    "POST /api/v1/packets/verify/": "roles",
    "GET /api/v1/pilots/": "roles",
    "POST /api/v1/pilots/": "ai_pm",
    "GET /api/v1/pilots/{id}/": "roles",
    "PATCH /api/v1/pilots/{id}/": "ai_pm",
    "POST /api/v1/pilots/{id}/approve/": "security legal finance",
    "POST /api/v1/pilots/{id}/begin-review/": "ai_pm",
    "POST /api/v1/pilots/{id}/close/": "security legal finance",
    "POST /api/v1/pilots/{id}/compute-baselines/": "ai_pm",
    "GET /api/v1/pilots/{id}/controls/": "roles",
    "POST /api/v1/pilots/{id}/controls/": "ai_pm platform",
    "GET /api/v1/pilots/{id}/effects/": "roles",
    "POST /api/v1/pilots/{id}/evaluate/": "security ai_pm",  # the owner's or security's
    "POST /api/v1/pilots/{id}/start/": "ai_pm",
    "POST /api/v1/pilots/{id}/submit/": "ai_pm",
    "POST /api/v1/pilots/{id}/withdraw/": "ai_pm",
    "GET /api/v1/responses/": "security legal ai_pm finance auditor",
    "GET /api/v1/responses/{id}/": "security legal ai_pm finance auditor",
    "PATCH /api/v1/responses/{id}/": "legal",  # the item's owner role (legal's item)
    "GET /api/v1/reviews/": "roles",
    "POST /api/v1/reviews/": "finance",
    "GET /api/v1/reviews/{id}/": "roles",
    "PATCH /api/v1/reviews/{id}/": "finance",
    "POST /api/v1/reviews/{id}/sign/": "security legal finance",
    "POST /api/v1/reviews/{id}/supersede/": "finance",
    "POST /api/v1/roi/calculate/": "ai_pm finance platform auditor",
    "GET /api/v1/roi/scope/": "ai_pm finance platform auditor",
    "POST /api/v1/roi/tier-cost/": "ai_pm finance platform auditor",
    "GET /api/v1/shortlist/check/": "roles",
    "GET /api/v1/shortlist/current/": "roles",
    "GET /api/v1/shortlist/entries/": "roles",
    "POST /api/v1/shortlist/entries/": "security legal",
    "GET /api/v1/shortlist/entries/{id}/": "roles",
    "PUT /api/v1/shortlist/entries/{id}/": "security legal",
    "PATCH /api/v1/shortlist/entries/{id}/": "security legal",
    "DELETE /api/v1/shortlist/entries/{id}/": "security legal",
    "GET /api/v1/shortlist/versions/": "roles",
    "POST /api/v1/shortlist/versions/": "security legal",
    "GET /api/v1/shortlist/versions/{id}/": "roles",
    "GET /api/v1/shortlist/versions/{id}/diff/": "roles",
    "POST /api/v1/shortlist/versions/{id}/publish/": "security legal",
    "GET /api/v1/signoffs/": "roles",
    "POST /api/v1/signoffs/": "security legal finance",
    "GET /api/v1/signoffs/{id}/": "roles",
    "GET /api/v1/spend/": "ai_pm finance platform auditor",
    "POST /api/v1/spend/": "finance",
    "GET /api/v1/spend/{id}/": "ai_pm finance platform auditor",
    "DELETE /api/v1/spend/{id}/": "finance",
    "GET /api/v1/spend/summary/": "ai_pm finance platform auditor",
    "GET /api/v1/team-metrics/": "ai_pm finance platform auditor",
    "GET /api/v1/teams/": "roles",
    "POST /api/v1/teams/": "ai_pm",
    "GET /api/v1/teams/{id}/": "roles",
    "GET /api/v1/vendors/": "roles",
    "POST /api/v1/vendors/": "security legal platform",
    "GET /api/v1/vendors/{slug}/": "roles",
    "PUT /api/v1/vendors/{slug}/": "security legal platform",
    "PATCH /api/v1/vendors/{slug}/": "security legal platform",
    "DELETE /api/v1/vendors/{slug}/": "",
    # Model lifecycle (docs/model-lifecycle.md): everyone with a role follows switches; security
    # and platform roll a version back.
    "GET /api/v1/model-switches/": "roles",
    "GET /api/v1/model-switches/{id}/": "roles",
    "POST /api/v1/model-versions/{id}/rollback/": "security platform",
    # The portfolio is finance's; the funnel every role that takes part in a gate, and the auditor.
    "GET /api/v1/portfolio/": "finance",
    "GET /api/v1/portfolio/funnel/": "security legal ai_pm finance auditor",
}

# Admin: the changelist and change page need "view" (or change), add pages "add", a POST to the
# change page "change", the delete page "delete". Framework tables (users, groups, tokens,
# sign-in attempts, schedules) are a superuser's only; no persona here is one.
ADMIN: dict[str, dict[str, str]] = {
    "auditlog.logentry": {"view": "security legal auditor", "add": "", "change": "", "delete": ""},
    "auth.group": {"view": "", "add": "", "change": "", "delete": ""},
    "auth.user": {"view": "", "add": "", "change": "", "delete": ""},
    "authtoken.tokenproxy": {"view": "", "add": "", "change": "", "delete": ""},
    "axes.accessattempt": {"view": "", "add": "", "change": "", "delete": ""},
    "axes.accessfailurelog": {"view": "", "add": "", "change": "", "delete": ""},
    "axes.accesslog": {"view": "", "add": "", "change": "", "delete": ""},
    "django_celery_beat.clockedschedule": {"view": "", "add": "", "change": "", "delete": ""},
    "django_celery_beat.crontabschedule": {"view": "", "add": "", "change": "", "delete": ""},
    "django_celery_beat.intervalschedule": {"view": "", "add": "", "change": "", "delete": ""},
    "django_celery_beat.periodictask": {"view": "", "add": "", "change": "", "delete": ""},
    "django_celery_beat.solarschedule": {"view": "", "add": "", "change": "", "delete": ""},
    "governance.baseline": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.checkpointevaluation": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.copilotorgday": {
        "view": "ai_pm finance platform auditor",
        "add": "",
        "change": "",
        "delete": "",
    },
    "governance.copilotuserday": {
        "view": "ai_pm finance platform auditor",
        "add": "",
        "change": "",
        "delete": "",
    },
    "governance.escapeddefect": {
        "view": "ai_pm finance platform auditor",
        "add": "",
        "change": "",
        "delete": "",
    },
    "governance.gatewaydaily": {
        "view": "ai_pm finance platform auditor",
        "add": "",
        "change": "",
        "delete": "",
    },
    "governance.importrun": {
        "view": "ai_pm finance platform auditor",
        "add": "ai_pm finance platform",
        "change": "",
        "delete": "",
    },
    "governance.measurement": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.metric": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.modelalias": {
        "view": "ai_pm finance platform auditor",
        "add": "platform",
        "change": "platform",
        "delete": "platform",
    },
    "governance.packet": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.pilot": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.pullrequest": {
        "view": "ai_pm finance platform auditor",
        "add": "",
        "change": "",
        "delete": "",
    },
    "governance.quarterlyreview": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.ratecard": {
        "view": "ai_pm finance platform auditor",
        "add": "finance",
        "change": "finance",
        "delete": "finance",
    },
    "governance.servicetoken": {
        "view": "platform auditor",
        "add": "platform",
        "change": "",
        "delete": "",
    },
    "governance.signoff": {"view": "roles", "add": "", "change": "", "delete": ""},
    "governance.spend": {
        "view": "ai_pm finance platform auditor",
        "add": "finance",
        "change": "",
        "delete": "finance",
    },
    "governance.team": {"view": "roles", "add": "ai_pm", "change": "ai_pm", "delete": ""},
    "governance.teammember": {
        "view": "ai_pm finance platform auditor",
        "add": "ai_pm platform",
        "change": "ai_pm platform",
        "delete": "ai_pm platform",
    },
    "governance.teammetricvalue": {
        "view": "ai_pm finance platform auditor",
        "add": "",
        "change": "",
        "delete": "",
    },
    "governance.workerheartbeat": {
        "view": "platform auditor",
        "add": "",
        "change": "",
        "delete": "",
    },
    "knox.authtoken": {"view": "", "add": "", "change": "", "delete": ""},
    "vendors.assessment": {
        "view": "security legal ai_pm finance auditor",
        "add": "security legal",
        "change": "security legal",
        "delete": "",
    },
    "vendors.checklistitem": {"view": "roles", "add": "", "change": "", "delete": ""},
    "vendors.evidence": {"view": "security legal auditor", "add": "", "change": "", "delete": ""},
    "vendors.framework": {"view": "roles", "add": "", "change": "", "delete": ""},
    "vendors.modelversion": {
        "view": "roles",
        "add": "platform",
        "change": "platform",
        "delete": "",
    },
    "vendors.offering": {
        "view": "roles",
        "add": "security legal platform",
        "change": "security legal platform",
        "delete": "",
    },
    "vendors.requirement": {"view": "roles", "add": "", "change": "", "delete": ""},
    "vendors.requirementmapping": {"view": "roles", "add": "", "change": "", "delete": ""},
    "vendors.response": {
        "view": "security legal ai_pm finance auditor",
        "add": "",
        "change": "legal",
        "delete": "",
    },
    "vendors.riskexception": {
        "view": "security legal ai_pm finance auditor",
        "add": "security",
        "change": "",
        "delete": "",
    },
    "vendors.shortlistentry": {
        "view": "roles",
        "add": "security legal",
        "change": "security legal",
        "delete": "security legal",
    },
    "vendors.shortlistversion": {
        "view": "roles",
        "add": "security legal",
        "change": "security legal",
        "delete": "",
    },
    "vendors.subprocessor": {"view": "roles", "add": "", "change": "", "delete": ""},
    # Settling (security, legal) is the changelist's action; a change's own page is read-only.
    "vendors.subprocessorchange": {"view": "roles", "add": "", "change": "", "delete": ""},
    "vendors.vendor": {
        "view": "roles",
        "add": "security legal platform",
        "change": "security legal platform",
        "delete": "",
    },
    # Single sign-on's accounts (allauth) are a superuser's, like users and groups.
    "account.emailaddress": {"view": "", "add": "", "change": "", "delete": ""},
    "socialaccount.socialaccount": {"view": "", "add": "", "change": "", "delete": ""},
    "socialaccount.socialapp": {"view": "", "add": "", "change": "", "delete": ""},
    "socialaccount.socialtoken": {"view": "", "add": "", "change": "", "delete": ""},
    "governance.pilotmodelversion": {
        "view": "roles",
        "add": "platform",
        "change": "",
        "delete": "",
    },
    "vendors.modelrollback": {"view": "roles", "add": "", "change": "", "delete": ""},
    # Switches come from imports, declarations and deprecations, never the add page; settling
    # is a button on the (read-only) change page.
    "vendors.modelswitch": {"view": "roles", "add": "", "change": "", "delete": ""},
    # The demo's proposed answer is on a security-owned item: only its owner role judges it.
    "vendors.proposedanswer": {
        "view": "security legal auditor",
        "add": "",
        "change": "security",
        "delete": "",
    },
    "vendors.questionnaire": {
        "view": "security legal auditor",
        "add": "security",
        "change": "security",
        "delete": "",
    },
}
