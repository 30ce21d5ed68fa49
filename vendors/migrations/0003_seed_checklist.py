"""Seed the AI-coding procurement checklist (admins can add more items later)."""

from django.db import migrations

ITEMS = [
    # code, title, category, owner, evidence, rereview_days, applies_to, guidance
    (
        "data-residency",
        "Data residency guarantees",
        "data",
        "legal",
        True,
        365,
        "all",
        "Contract or DPA names the regions where prompts, code and completions are processed "
        "and stored, and forbids transfer elsewhere without notice.",
    ),
    (
        "training-opt-out",
        "Vendor training opt-out clause",
        "contract",
        "legal",
        True,
        365,
        "all",
        "Contract clause stating that customer prompts, code and completions are never used "
        "to train or fine-tune the vendor's models, including by subprocessors.",
    ),
    (
        "audit-log-access",
        "Audit-log access to prompt and completion data",
        "observability",
        "security",
        True,
        180,
        "all",
        "Admin export or API giving the enterprise its prompts and completions per user, with "
        "retention that meets the audit policy.",
    ),
    (
        "per-request-tracing",
        "Per-request tracing",
        "observability",
        "security",
        False,
        180,
        "all",
        "Each request carries an id that links the gateway log, the vendor log and the "
        "resulting commit or pull request.",
    ),
    (
        "code-provenance",
        "Code provenance metadata on AI-generated commits",
        "contract",
        "security",
        False,
        180,
        "all",
        "Commits or PRs produced with the tool carry machine-readable provenance (tool, model "
        "version, request id), e.g. a commit trailer.",
    ),
    (
        "ip-assignment",
        "IP assignment clarity",
        "contract",
        "legal",
        True,
        365,
        "all",
        "Contract assigns output IP to the customer and includes an IP indemnity for "
        "generated code.",
    ),
    (
        "prompt-injection-defenses",
        "Prompt-injection defenses",
        "security",
        "security",
        True,
        180,
        "all",
        "Documented defenses against prompt injection from repository content, issues and web "
        "pages, with test results or a third-party assessment.",
    ),
    (
        "tool-call-sandboxing",
        "Sandboxing of tool calls with allowlisted operations",
        "security",
        "security",
        True,
        180,
        "agentic",
        "Agent tool calls and commands run in a sandbox with an allowlist of operations, "
        "deterministic validation and a human-in-the-loop gate for writes.",
    ),
    (
        "model-versioning-rollback",
        "Model versioning and rollback plan",
        "operations",
        "security",
        True,
        180,
        "all",
        "Models are pinned by version, changes are announced in advance, and a documented "
        "rollback to the previous version exists.",
    ),
]


def seed(apps, schema_editor):
    ChecklistItem = apps.get_model("vendors", "ChecklistItem")
    for position, (code, title, category, owner, evidence, days, applies, guidance) in enumerate(
        ITEMS, start=1
    ):
        ChecklistItem.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "category": category,
                "owner_role": owner,
                "mandatory": True,
                "evidence_required": evidence,
                "rereview_days": days,
                "applies_to": applies,
                "guidance": guidance,
                "position": position * 10,
                "active": True,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("vendors", "ChecklistItem").objects.filter(
        code__in=[item[0] for item in ITEMS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("vendors", "0002_registry_checklist_assessments")]

    operations = [migrations.RunPython(seed, unseed)]
