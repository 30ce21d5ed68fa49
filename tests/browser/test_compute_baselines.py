"""In real Chromium: an AI PM computes a draft pilot's baselines from its team's imported
pull requests, and sees where each number came from."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from governance.models import Baseline
from governance.services import pilots as ps
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD, OfferingFactory, TeamFactory

pytestmark = BROWSER_TEST
DATA = Path(__file__).resolve().parent.parent / "data" / "teams"


def _pulls_file(tmp_path: Path, start) -> Path:
    """Pulls by alice (Payments) merged in the four weeks before the start, gh api style."""
    pulls = []
    for n in range(8):
        opened = datetime.combine(start - timedelta(days=27 - 3 * n), datetime.min.time(), UTC)
        merged = (opened + timedelta(hours=12 + n)).isoformat()
        pulls.append(
            {
                "number": n + 1,
                "user": {"login": "alice", "type": "User"},
                "created_at": opened.isoformat(),
                "updated_at": merged,
                "merged_at": merged,
                "closed_at": merged,
                "additions": 40,
                "deletions": 10,
                "changed_files": 3,
                "labels": [],
                "draft": False,
                "head": {"ref": f"feature/{n}"},
                "base": {"ref": "main", "repo": {"full_name": "acme/payments"}},
            }
        )
    path = tmp_path / "pulls.json"
    path.write_text(json.dumps(pulls))
    return path


def test_an_ai_pm_computes_baselines_from_pull_requests(
    live_server, page, ai_pm, published, tmp_path
):
    offering = OfferingFactory(
        vendor=published.entries.get(vendor__slug="helix").vendor, name="Helix Code"
    )
    payments = TeamFactory(name="Payments")
    TeamFactory(name="Search", github_slug="search-team")
    start = timezone.localdate() + timedelta(days=30)
    pilot = ps.pilot_create(
        title="Evidence-based pilot",
        offering=offering,
        teams=[payments],
        workflows=["test_generation"],
        use_case="Unit tests.",
        planned_start=start,
        planned_end=start + timedelta(days=75),
        actor=ai_pm,
    )
    call_command("import_team_members", str(DATA / "members.csv"), as_user="ai_pm", verbosity=0)
    call_command(
        "import_pull_requests", str(_pulls_file(tmp_path, start)), as_user="ai_pm", verbosity=0
    )

    page.goto(f"{live_server.url}/accounts/login/?next=/pilots/{pilot.pk}/")
    page.fill("#id_username", "ai_pm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/pilots/{pilot.pk}/")

    page.fill("#id_weeks", "6")
    page.click("#compute-baselines")
    page.wait_for_load_state()
    assert "computed from the 6 weeks before" in page.content()
    baselines = page.locator("#baselines").inner_text()
    assert "Derived from imported evidence" in baselines
    assert "of Payments (github)" in baselines
    throughput = Baseline.objects.get(pilot=pilot, metric__code="feature-throughput")
    assert throughput.sample_size == 8
    assert throughput.provenance["window"][1] == str(start - timedelta(days=start.weekday() + 1))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "computed-baselines.png"), full_page=True)


def test_without_evidence_the_page_says_what_to_import(live_server, page, ai_pm, published):
    offering = OfferingFactory(
        vendor=published.entries.get(vendor__slug="helix").vendor, name="Helix Code"
    )
    start = timezone.localdate() + timedelta(days=30)
    pilot = ps.pilot_create(
        title="No evidence yet",
        offering=offering,
        teams=[TeamFactory(name="Payments")],
        workflows=["test_generation"],
        use_case="Unit tests.",
        planned_start=start,
        planned_end=start + timedelta(days=75),
        actor=ai_pm,
    )
    page.goto(f"{live_server.url}/accounts/login/?next=/pilots/{pilot.pk}/")
    page.fill("#id_username", "ai_pm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/pilots/{pilot.pk}/")
    page.click("#compute-baselines")
    page.wait_for_load_state()
    assert "import pull requests, gateway logs or Copilot reports" in page.content()
    assert not Baseline.objects.filter(pilot=pilot).exists()
