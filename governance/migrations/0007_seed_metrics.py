"""Seed the metric catalog: the four core metrics finance trusts, plus cost metrics."""

from django.db import migrations

METRICS = [
    # code, name, unit, direction, core, tiered, description
    (
        "cycle-time",
        "Cycle time per shipped PR",
        "hours",
        "lower",
        True,
        True,
        "Hours from ticket open to merge, per complexity tier.",
    ),
    (
        "defect-escape-rate",
        "Defect escape rate",
        "ratio",
        "lower",
        True,
        False,
        "Production bugs divided by bugs caught in CI.",
    ),
    (
        "reviewer-load",
        "Reviewer minutes per PR",
        "minutes",
        "lower",
        True,
        False,
        "Senior reviewer minutes spent per PR.",
    ),
    (
        "feature-throughput",
        "Feature throughput",
        "points per engineer-month",
        "higher",
        True,
        False,
        "Story points delivered per engineer-month, headcount-adjusted.",
    ),
    (
        "cost-per-request",
        "Cost per request",
        "USD",
        "lower",
        False,
        False,
        "Blended inference cost per request.",
    ),
    (
        "cached-token-share",
        "Cached-token share",
        "percent",
        "higher",
        False,
        False,
        "Share of input tokens served from cache.",
    ),
]


def seed(apps, schema_editor):
    Metric = apps.get_model("governance", "Metric")
    for position, (code, name, unit, direction, core, tiered, description) in enumerate(METRICS):
        Metric.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "direction": direction,
                "core": core,
                "tiered": tiered,
                "description": description,
                "position": position * 10,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("governance", "Metric").objects.filter(code__in=[m[0] for m in METRICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0006_pilots")]

    operations = [migrations.RunPython(seed, unseed)]
