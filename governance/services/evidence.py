"""Attributing imported events to teams: each event belongs to its author's team on its date."""

import re
from collections import Counter, defaultdict

from django.db.models import (
    DateField,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.functions import Cast, Coalesce

from governance.models import CopilotUserDay, GatewayRequest, PullRequest, TeamMember


def member_team(login: Expression | OuterRef, day: Expression | OuterRef) -> Subquery:
    """The team a login belonged to on a day, as a subquery (the latest membership started
    on or before that day wins when memberships overlap)."""
    return Subquery(
        TeamMember.objects.filter(login=login, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from", "-id")
        .values("team")[:1]
    )


PR_TAG = re.compile(r"^pr:(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")
# When a PR's requests went to several tiers, the heavier tier names its complexity.
TIER_WEIGHT = {"fast": 0, "standard": 1, "heavy": 2}


def pull_request_tiers() -> int:
    """Set each PR's routing tier from the gateway requests tagged with it (`pr:owner/repo#N`).

    The tier that served most of its requests wins (the heavier one on a tie); PRs without
    tagged requests keep no tier and count only in the all-tiers series.
    """
    counts: dict[tuple[str, int], Counter] = defaultdict(Counter)
    # Only requests with a pr: tag are read (a text match in the database): a million
    # untagged requests cost one scan, not a million JSON parses here.
    tagged = (
        GatewayRequest.objects.exclude(tier="")
        .alias(tag_text=Cast("tags", TextField()))
        .filter(tag_text__contains='"pr:')
    )
    for tags, tier in tagged.values_list("tags", "tier").iterator(chunk_size=5000):
        for tag in tags if isinstance(tags, list) else ():
            match = PR_TAG.match(str(tag))
            if match:
                counts[(match["repo"].lower(), int(match["number"]))][tier] += 1
    if not counts:
        return 0
    tiers = {
        key: max(tally.items(), key=lambda item: (item[1], TIER_WEIGHT.get(item[0], 0)))[0]
        for key, tally in counts.items()
    }
    changed = []
    for pull in PullRequest.objects.filter(
        repo__in={repo for repo, _ in tiers}, number__in={number for _, number in tiers}
    ).only("pk", "repo", "number", "tier"):
        tier = tiers.get((pull.repo.lower(), pull.number))
        if tier and pull.tier != tier:
            pull.tier = tier
            changed.append(pull)
    PullRequest.objects.bulk_update(changed, ["tier"], batch_size=1000)
    return len(changed)


def _reattribute(rows: QuerySet, team: Subquery) -> int:
    """Set `team` where it differs (NULLs included); rows already right are not rewritten.

    Rewriting a row that did not change still writes a new version of it and of its every
    index entry: on a hundred thousand pull requests, four seconds of an import (P6).
    """
    changed = (
        rows.annotate(new_team=team)
        .filter(
            Q(team__isnull=True, new_team__isnull=False)
            | Q(team__isnull=False, new_team__isnull=True)
            | (Q(team__isnull=False, new_team__isnull=False) & ~Q(team=F("new_team")))
        )
        .order_by()
    )
    return rows.model.objects.filter(pk__in=changed.values("pk")).update(team=team)


def attribute_events() -> dict:
    """Set every pull request's and Copilot day's team from membership, in a few UPDATEs.

    Runs after every import, membership included, so a late membership file re-attributes
    history. A pull request counts for its author's team on the day it merged (opened, if
    never merged). Gateway requests named by their gateway team keep it; those named only by
    a person are attributed the same way.
    """
    pr_day = Cast(Coalesce(OuterRef("merged_at"), OuterRef("created_at")), DateField())
    prs = _reattribute(PullRequest.objects.all(), member_team(OuterRef("author"), pr_day))
    copilot = _reattribute(
        CopilotUserDay.objects.all(), member_team(OuterRef("login"), OuterRef("day"))
    )
    gateway = _reattribute(
        GatewayRequest.objects.filter(team_key="").exclude(user=""),
        member_team(OuterRef("user"), OuterRef("day")),
    )
    tiers = pull_request_tiers()
    return {
        "pull_requests": prs,
        "copilot_days": copilot,
        "gateway_requests": gateway,
        "pull_request_tiers": tiers,
    }
