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

ROLE_PERMISSIONS: dict[str, dict[str, Iterable[str]]] = {
    Role.SECURITY: {
        "vendors.vendor": EDIT,
        "auditlog.logentry": VIEW,
    },
    Role.LEGAL: {
        "vendors.vendor": EDIT,
        "auditlog.logentry": VIEW,
    },
    Role.AI_PM: {
        "vendors.vendor": VIEW,
    },
    Role.FINANCE: {
        "vendors.vendor": VIEW,
    },
    Role.PLATFORM: {
        "vendors.vendor": EDIT,
        "governance.workerheartbeat": ("view", "add"),
    },
    Role.AUDITOR: {},  # filled below: view on everything in AUDITED_APPS
}


def permission_codenames(role: str, models: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Return (app_label, codename) pairs the role holds, given every (app_label, model) known."""
    if role == Role.AUDITOR:
        return {(app, f"view_{model}") for app, model in models if app in AUDITED_APPS}
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
