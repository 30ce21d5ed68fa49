"""Each role's home is a work queue: what waits, who owns it, when it is due, where it is done."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.choices import PacketKind, PacketStatus
from governance.models import Packet
from governance.selectors.work_queue import work_count, work_queue
from governance.services import pilots as ps
from tests.governance.conftest import START

pytestmark = pytest.mark.django_db


def _titles(user) -> dict[str, str]:
    return {item.title: item.action for item in work_queue(user=user)}


@pytest.fixture
def submitted(pilot, complete_pilot, ai_pm):
    complete_pilot(pilot)
    return ps.pilot_submit(pilot=pilot, actor=ai_pm)


def test_it_asks_each_signer_of_a_submitted_charter_to_sign(submitted, security, finance, legal):
    assert _titles(security)[f"Pilot charter: {submitted}"] == "Sign"
    assert _titles(finance)[f"Pilot charter: {submitted}"] == "Sign"
    assert f"Pilot charter: {submitted}" not in _titles(legal)  # not agentic: legal not asked


def test_it_offers_approval_once_every_sign_off_is_in(submitted, sign_pilot, security, ai_pm):
    sign_pilot(submitted)
    assert _titles(security)[f"Pilot charter: {submitted}"] == "Approve"
    assert f"Pilot charter: {submitted}" not in _titles(ai_pm)


def test_a_sign_off_of_an_earlier_charter_is_asked_again(submitted, sign_pilot, security, metrics):
    sign_pilot(submitted, roles=("security",))
    assert f"Pilot charter: {submitted}" not in _titles(security)
    ps.pilot_return_to_draft(pilot=submitted, actor=submitted.owner, reason="one more metric")
    ps.kill_criterion_add(
        pilot=submitted,
        metric=metrics["cycle-time"],
        tier="standard",
        comparator="worse_pct",
        threshold="30",
        evaluate_from_day=60,
        actor=submitted.owner,
    )
    ps.pilot_submit(pilot=submitted, actor=submitted.owner)
    assert _titles(security)[f"Pilot charter: {submitted}"] == "Sign"


def test_it_asks_reviewers_to_sign_an_assessment_then_to_approve(
    assessment, complete, sign, security, legal
):
    title = f"Assessment: {assessment}"
    assert _titles(security)[title] == "Review and sign"
    assert _titles(legal)[title] == "Review and sign"
    complete(assessment)
    sign(assessment)
    assert _titles(security)[title] == "Approve"


def test_it_asks_to_publish_a_signed_shortlist_draft(draft, sign_shortlist, security):
    assert _titles(security)[f"Shortlist draft v{draft.number}"] == "Review and sign"
    sign_shortlist(draft)
    assert _titles(security)[f"Shortlist draft v{draft.number}"] == "Publish"


def test_it_lists_expiring_verdicts_to_their_owner_role(approved_assessment, security, ai_pm):
    response = approved_assessment.responses.filter(item__owner_role="security").first()
    soon = response.expires_on - timedelta(days=10)
    with time_machine.travel(soon, tick=False):
        rows = [i for i in work_queue(user=security) if i.kind == "Evidence expiring"]
        assert any(i.due == response.expires_on and str(response.pk) in i.url for i in rows)
        assert not [i for i in work_queue(user=ai_pm) if i.kind == "Evidence expiring"]


def test_it_lists_a_due_checkpoint_to_the_owner_and_finance(
    approved_pilot, ai_pm, finance, platform
):
    with time_machine.travel(START, tick=False):
        ps.pilot_start(pilot=approved_pilot, actor=ai_pm)
    with time_machine.travel(START + timedelta(days=25), tick=False):
        for user in (ai_pm, finance):
            due = [i for i in work_queue(user=user) if i.kind == "Checkpoint due"]
            assert [i.due for i in due] == [START + timedelta(days=30)]
        assert not [i for i in work_queue(user=platform) if i.kind == "Checkpoint due"]


def test_it_lists_a_kill_recommendation(evaluation, ai_pm, finance):
    assert evaluation.kill_recommended
    for user in (ai_pm, finance):
        kills = [i for i in work_queue(user=user) if i.kind == "Kill recommended"]
        assert len(kills) == 1 and kills[0].url.endswith("#evaluations")


def test_a_later_evaluation_without_a_breach_clears_the_kill_recommendation(
    evaluation, ai_pm, finance
):
    from governance.models import CheckpointEvaluation

    CheckpointEvaluation.objects.create(
        pilot=evaluation.pilot,
        checkpoint_day=180,
        window_start=evaluation.window_end,
        window_end=evaluation.window_end + timedelta(days=90),
        kill_recommended=False,
    )
    for user in (ai_pm, finance):
        assert not [i for i in work_queue(user=user) if i.kind == "Kill recommended"]
        assert work_count(user=user) == len(work_queue(user=user))


def test_the_badge_counts_what_the_queue_lists_for_every_role(
    evaluation, make_pilot, complete_pilot, sign_pilot, assessment, persona
):
    """The count reads each kind of work without building its rows: it must still agree."""
    complete_pilot(submitted := make_pilot(title="Waiting charter"))
    ps.pilot_submit(pilot=submitted, actor=submitted.owner)
    sign_pilot(submitted, roles=("security",))
    Packet.objects.create(
        kind=PacketKind.ASSESSMENT,
        subject_id=1,
        subject_label="Acme",
        status=PacketStatus.FAILED,
        requested_by=persona("platform"),
    )
    personas = {
        role: persona(role)
        for role in ("security", "legal", "ai_pm", "finance", "platform", "auditor")
    }
    with time_machine.travel(START + timedelta(days=170), tick=False):
        counts = {
            role: (work_count(user=user), len(work_queue(user=user)))
            for role, user in personas.items()
        }
    assert all(count == rows for count, rows in counts.values()), counts
    assert counts["finance"][0] >= 3  # the charter to sign, a review due, the kill, day 180
    assert counts["security"][0] >= 1 and counts["platform"][0] == 1


def test_it_lists_my_failed_packets_only(platform, ai_pm):
    Packet.objects.create(
        kind=PacketKind.ASSESSMENT,
        subject_id=1,
        subject_label="Acme",
        status=PacketStatus.FAILED,
        error="WeasyPrint ran out of memory.",
        requested_by=platform,
    )
    assert [i.detail for i in work_queue(user=platform)] == ["WeasyPrint ran out of memory."]
    assert work_queue(user=ai_pm) == []


def test_the_home_page_and_the_badge_show_the_same_count(client, submitted, security):
    client.force_login(security)
    response = client.get("/")
    html = response.content.decode()
    count = len(response.context["queue"])
    assert count >= 1
    assert f'<span class="count">{count}</span>' in html
    assert f"Pilot charter: {submitted}" in html
    # Other pages read the count after they load: the page holds the place, the count's own
    # request answers the same number.
    other = client.get("/pilots/").content.decode()
    assert 'data-work-count="/me/work-count/"' in other and "work-count.js" in other
    answer = client.get("/me/work-count/")
    assert answer.json() == {"count": count}
    assert answer["Cache-Control"] == "private, no-cache"


def test_someone_signed_out_gets_no_count(client):
    response = client.get("/me/work-count/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_count_is_the_signed_in_user_s_own(client, submitted, security, platform):
    client.force_login(platform)
    assert client.get("/me/work-count/").json() == {"count": 0}
    client.force_login(security)
    assert client.get("/me/work-count/").json()["count"] >= 1


def test_each_row_is_one_click_from_where_it_is_done(client, submitted, security):
    client.force_login(security)
    row = next(i for i in work_queue(user=security) if "Pilot charter" in i.title)
    page = client.get(row.url.split("#")[0])
    assert page.status_code == 200
    assert "Sign as Security" in page.content.decode()


def _queue_queries(user) -> int:
    user = type(user).objects.get(pk=user.pk)  # no permission cache from an earlier call
    with CaptureQueriesContext(connection) as ctx:
        work_queue(user=user)
    return len(ctx.captured_queries)


def test_the_queue_costs_the_same_queries_however_much_waits(
    make_pilot, complete_pilot, sign_pilot, ai_pm, security, finance, assessment, complete, sign
):
    from tests.factories import TeamFactory, VendorFactory
    from vendors.services.assessments import assessment_open

    def grow(n: int) -> None:
        for i in range(n):
            pilot = make_pilot(title=f"Pilot {i} {TeamFactory().name}")
            complete_pilot(pilot)
            ps.pilot_submit(pilot=pilot, actor=ai_pm)
            if i % 2:
                sign_pilot(pilot, roles=("security",))
            opened = assessment_open(vendor=VendorFactory(), actor=security)
            if i % 2:
                complete(opened)
                sign(opened)

    grow(2)  # one of each: signed and not
    small = {u.username: _queue_queries(u) for u in (security, finance, ai_pm)}
    grow(4)
    large = {u.username: _queue_queries(u) for u in (security, finance, ai_pm)}
    assert small == large


def test_finances_queue_costs_the_same_queries_with_more_reviews_due_than_it_shows(
    make_pilot, finance
):
    from governance.models import Pilot
    from governance.selectors.work_queue import ROWS_PER_KIND

    def running(n: int) -> None:
        # Rows written directly: only their status and quarter matter to the reviews due.
        ids = [make_pilot(title=f"Due {Pilot.objects.count()}-{i}").pk for i in range(n)]
        Pilot.objects.filter(pk__in=ids).update(status="running", started_on=START)

    running(1)
    few = _queue_queries(finance)
    running(ROWS_PER_KIND)  # now the pilots alone fill the rows shown; programs are still read
    many = _queue_queries(finance)
    assert few == many
