"""What each role may do to each model: the one table behind every permission check.

Model-level permissions come from this table (granted to the role's Django group on every
`migrate`); object-level narrowing lives in governance/permissions.py as `rules` predicates.
Admin, pages and API all ask `user.has_perm(...)`, so a rule is written once.

Later issues add a line per model here; the auditor role reads every model of the domain
apps automatically and never gets anything but `view`.
"""

from collections.abc import Iterable

from governance.choices import Role

VIEW = ("view",)
EDIT = ("view", "add", "change")
FULL = ("view", "add", "change", "delete")

# Apps whose every model the auditor may read.
AUDITED_APPS = ("vendors", "governance", "auditlog")

# What everyone with a role may read in the registry.
REGISTRY_READ = {
    "vendors.vendor": VIEW,
    "vendors.offering": VIEW,
    "vendors.modelversion": VIEW,
    "vendors.checklistitem": VIEW,
    "vendors.vendortransition": VIEW,
    "vendors.shortlistversion": VIEW,
    "vendors.shortlistentry": VIEW,
    "vendors.shortlisttransition": VIEW,
    # Frameworks, their requirements and the checklist mapping are reference data.
    "vendors.framework": VIEW,
    "vendors.requirement": VIEW,
    "vendors.requirementmapping": VIEW,
    # Where a vendor's data really goes, and each change to it.
    "vendors.subprocessor": VIEW,
    "vendors.subprocessorchange": VIEW,
    # Model switches, their re-reviews and rollback decisions: everyone follows them.
    "vendors.modelswitch": VIEW,
    "vendors.modelswitchtransition": VIEW,
    "vendors.modelrollback": VIEW,
}
# Reviewers (security, legal) read whole assessments, evidence files included.
REVIEW_READ = {
    "vendors.assessment": VIEW,
    "vendors.assessmenttransition": VIEW,
    "vendors.response": VIEW,
    "vendors.responsetransition": VIEW,
    "vendors.evidence": VIEW,
    "vendors.riskexception": VIEW,
    "vendors.exceptiontransition": VIEW,
    "governance.signoff": VIEW,
    "auditlog.logentry": VIEW,
}
# Pilot owners and finance see where a review stands, but not the evidence files.
REVIEW_STATUS_READ = {
    "vendors.assessment": VIEW,
    "vendors.response": VIEW,
    "vendors.riskexception": VIEW,
    "governance.signoff": VIEW,
}
# Everyone with a role follows pilots; only their owners (ai_pm) shape them.
PILOT_READ = {
    "governance.measurement": VIEW,
    "governance.checkpointevaluation": VIEW,
    "governance.criterionresult": VIEW,
    "governance.team": VIEW,
    "governance.metric": VIEW,
    "governance.pilot": VIEW,
    "governance.pilottransition": VIEW,
    "governance.baseline": VIEW,
    "governance.killcriterion": VIEW,
    "governance.signoff": VIEW,
    "governance.pilotmodelversion": VIEW,
}
# Quarterly decisions are visible to everyone who follows pilots.
REVIEW_DECISIONS_READ = {
    "governance.quarterlyreview": VIEW,
    "governance.reviewtransition": VIEW,
}
# The ledger and rates behind the ROI: read by those who own pilots or their platform.
SPEND_READ = {
    "governance.spend": VIEW,
    "governance.ratecard": VIEW,
    "governance.auditedbenefit": VIEW,
    "governance.benefittransition": VIEW,
}
# Every role may request and read sign-off packets; which packets is narrowed per subject in
# governance/rules.py (a packet is visible to whoever may view its subject). The auditor
# only reads and verifies (verifying is a read: it changes nothing).
PACKETS = {"governance.packet": ("view", "add"), "governance.packettransition": VIEW}
PILOT_SIGNER = {
    **PILOT_READ,
    "governance.signoff": ("view", "add"),
    "governance.pilot": ("view", "approve"),
}
REVIEWER = {
    **REGISTRY_READ,
    **REVIEW_READ,
    "vendors.vendor": EDIT,
    "vendors.offering": EDIT,
    "vendors.assessment": (*EDIT, "approve"),
    "vendors.response": ("view", "change"),
    "vendors.evidence": ("view", "add"),
    "governance.signoff": ("view", "add"),
    # Security and legal curate the shortlist; publishing also needs both their sign-offs.
    "vendors.shortlistversion": (*EDIT, "publish"),
    "vendors.shortlistentry": FULL,
    # Reviewers import a vendor's sub-processor list and settle its changes.
    "vendors.subprocessor": ("view", "add"),
    "vendors.subprocessorchange": ("view", "change"),
    # Questionnaires: both reviewers follow them and judge the answers to the items they own
    # (vendors/rules.py); only security sends, extends and revokes the links.
    "vendors.questionnaire": VIEW,
    "vendors.questionnairetransition": VIEW,
    "vendors.proposedanswer": ("view", "change"),
    "vendors.proposedanswertransition": VIEW,
    "vendors.proposedfile": VIEW,
}

# The adoption funnel is read by every role that takes part in a gate (security, legal,
# ai_pm, finance: their "view_funnel" on pilots below) and by the auditor; the portfolio by
# finance alone. Codenames the auditor holds besides view on every model: reads of derived pages.
AUDITOR_EXTRA = {("governance", "view_funnel_pilot")}

# Imported evidence and the team series derived from it: read by everyone who follows pilots
# or money; imported by platform (gateways, GitHub), AI PMs (teams, pull requests) and
# finance (spend logs, Copilot reports).
EVIDENCE_READ = {
    "governance.importrun": VIEW,
    "governance.teammember": VIEW,
    "governance.pullrequest": VIEW,
    "governance.pullrequestreview": VIEW,
    "governance.escapeddefect": VIEW,
    "governance.gatewaydaily": VIEW,
    "governance.copilotuserday": VIEW,
    "governance.copilotorgday": VIEW,
    "governance.teammetricvalue": VIEW,
    "governance.modelalias": VIEW,
}
IMPORTER = {**EVIDENCE_READ, "governance.importrun": ("view", "add")}
# Which kinds each importer may run is the "add" on the rows the kind writes (the table is
# KIND_PERMISSIONS in governance/services/imports.py).
IMPORTS_PEOPLE = {
    "governance.teammember": FULL,
    "governance.pullrequest": ("view", "add"),
}
IMPORTS_USAGE = {
    "governance.gatewaydaily": ("view", "add"),
    "governance.copilotorgday": ("view", "add"),
}

ROLE_PERMISSIONS: dict[str, dict[str, Iterable[str]]] = {
    Role.SECURITY: {
        **PACKETS,
        **PILOT_SIGNER,
        **REVIEWER,
        **REVIEW_DECISIONS_READ,
        # Risk acceptances are security's call.
        "vendors.riskexception": EDIT,
        # Security sends questionnaires to vendors and keeps their links alive or ends them.
        "vendors.questionnaire": ("view", "add", "change", "revoke"),
        # Security may evaluate any pilot's checkpoint (owners theirs: governance/rules.py).
        "governance.checkpointevaluation": ("view", "add"),
        # Security settles a model switch's re-review and may roll a version back.
        "vendors.modelswitch": ("view", "change"),
        "vendors.modelversion": ("view", "rollback"),
        "governance.pilot": (*PILOT_SIGNER["governance.pilot"], "view_funnel"),
    },
    Role.LEGAL: {
        **PACKETS,
        **PILOT_SIGNER,
        **REVIEWER,
        **REVIEW_DECISIONS_READ,
        "governance.pilot": (*PILOT_SIGNER["governance.pilot"], "view_funnel"),
    },
    Role.AI_PM: {
        **PACKETS,
        **REGISTRY_READ,
        **REVIEW_STATUS_READ,
        **PILOT_READ,
        "governance.team": EDIT,
        # Control teams are chosen by the pilot's owner (narrowed in governance/rules.py).
        "governance.pilot": (*EDIT, "set_controls", "view_funnel"),
        "governance.baseline": FULL,
        "governance.killcriterion": FULL,
        "governance.measurement": EDIT,
        "governance.checkpointevaluation": ("view", "add"),
        **REVIEW_DECISIONS_READ,
        **SPEND_READ,
        **IMPORTER,
        **IMPORTS_PEOPLE,
    },
    Role.FINANCE: {
        **PACKETS,
        **REGISTRY_READ,
        **REVIEW_STATUS_READ,
        **PILOT_SIGNER,
        **REVIEW_DECISIONS_READ,
        # Finance owns the money: the ledger, the rates, the decisions and the portfolio.
        "governance.pilot": (*PILOT_SIGNER["governance.pilot"], "view_portfolio", "view_funnel"),
        "governance.spend": FULL,
        "governance.ratecard": FULL,
        "governance.quarterlyreview": (*EDIT, "decide"),
        # Audited benefits: finance records them with evidence and signs them.
        "governance.auditedbenefit": ("view", "add"),
        "governance.benefittransition": VIEW,
        **IMPORTER,
        **IMPORTS_USAGE,
    },
    Role.PLATFORM: {
        **PACKETS,
        **REGISTRY_READ,
        **PILOT_READ,
        "vendors.vendor": EDIT,
        "vendors.offering": EDIT,
        # Platform keeps the catalog, declares switches and rolls versions back.
        "vendors.modelversion": (*EDIT, "rollback"),
        "vendors.modelswitch": ("view", "add"),
        "governance.pilotmodelversion": ("view", "add"),
        "governance.workerheartbeat": ("view", "add"),
        "governance.servicetoken": EDIT,
        "governance.measurement": EDIT,
        # Platform owns the telemetry, and so may pick any pilot's control teams.
        "governance.pilot": ("view", "set_controls"),
        **REVIEW_DECISIONS_READ,
        **SPEND_READ,
        **IMPORTER,
        **IMPORTS_PEOPLE,
        **IMPORTS_USAGE,
        "governance.modelalias": FULL,
        "governance.gatewayrequest": VIEW,
    },
    Role.AUDITOR: {},  # filled below: view on everything in AUDITED_APPS
}


def permission_codenames(role: str, models: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Return (app_label, codename) pairs the role holds, given every (app_label, model) known."""
    if role == Role.AUDITOR:
        return {
            (app, f"view_{model}") for app, model in models if app in AUDITED_APPS
        } | AUDITOR_EXTRA
    granted = set()
    for label, actions in ROLE_PERMISSIONS[role].items():
        app, model = label.split(".")
        granted.update((app, f"{action}_{model}") for action in actions)
    return granted


def sync_role_groups(apps) -> None:
    """Create the role groups and set their permissions exactly to the table above.

    Takes an app registry so the same code serves the data migration (historical models)
    and the post_migrate hook (which runs after later migrations add models).
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    models = list(ContentType.objects.values_list("app_label", "model"))
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = permission_codenames(role, models)
        perms = [
            p
            for p in Permission.objects.select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(perms)
