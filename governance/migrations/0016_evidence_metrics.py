"""Metrics derived from imported evidence, and how the existing ones are now derived."""

from django.db import migrations

NEW = [
    # code, name, unit, direction, description, position
    (
        "pr-size",
        "PR size",
        "lines changed",
        "lower",
        "Median lines added plus deleted per merged PR (from pull-request history).",
        60,
    ),
    (
        "review-events-per-pr",
        "Review events per PR",
        "reviews per PR",
        "lower",
        "Review events (approvals, change requests, comments) per merged PR.",
        61,
    ),
    (
        "ai-assisted-share",
        "AI-assisted share of PRs",
        "percent",
        "higher",
        "Merged PRs marked AI-assisted by the configured rules (Co-authored-by trailers, labels, "
        "branch prefixes, bot authors), as a percentage of merged PRs.",
        62,
    ),
    (
        "copilot-active-users",
        "Copilot active users",
        "users",
        "higher",
        "People with any Copilot activity in the week (usage-metrics reports).",
        70,
    ),
    (
        "copilot-acceptance-rate",
        "Copilot acceptance rate",
        "percent",
        "higher",
        "Accepted code generations as a percentage of code generations.",
        71,
    ),
]

DERIVED_DESCRIPTIONS = {
    "cycle-time": "Hours from PR opened to merged, per complexity tier; derived weekly as the "
    "median (the mean is kept beside it), or typed where no pull-request source exists.",
    "defect-escape-rate": "Escaped defects (issues with the configured label that reference a "
    "merged PR) per merged PR, counted in the week the PR merged.",
    "reviewer-load": "Minutes from review request (the PR's opening when GitHub does not say) "
    "to its last approval, per merged and approved PR.",
    "feature-throughput": "Merged PRs per engineer-month, headcount-adjusted (the team's "
    "members that week); story points where typed by hand.",
}


def seed(apps, schema_editor):
    Metric = apps.get_model("governance", "Metric")
    for code, name, unit, direction, description, position in NEW:
        Metric.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "direction": direction,
                "core": False,
                "tiered": False,
                "description": description,
                "position": position,
            },
        )
    for code, description in DERIVED_DESCRIPTIONS.items():
        Metric.objects.filter(code=code).update(description=description)


def unseed(apps, schema_editor):
    apps.get_model("governance", "Metric").objects.filter(code__in=[n[0] for n in NEW]).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0015_evidence")]

    operations = [migrations.RunPython(seed, unseed)]
