"""In real Chromium, each role's whole job with no URL typed after the login page (issue 16).

Every journey signs in on the login page, then only clicks. Each page it reaches is checked by
Journey.check: never a JSON response, never a machine name (snake_case codes like net_roi or
annual_pr_volume) in the visible text. Screenshots go to TOLLGATE_TEST_ARTIFACTS as
journey-<role>-<step>.png.
"""

import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from governance.choices import PacketKind
from governance.models import Packet
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD, make_pdf
from vendors.choices import AssessmentStatus, ShortlistStatus

pytestmark = BROWSER_TEST

# A machine name: lower-case words joined by underscores (net_roi, multi_file_refactor).
MACHINE_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# People's sign-in names are theirs to choose (the demo's are named after roles, e.g. ai_pm).
USERNAMES = {"security", "legal", "ai_pm", "finance", "platform", "auditor"}
# A service token's key prefix (tgs_...) is shown on purpose: it is how a person tells tokens
# apart; its random part may itself hold an underscore.
TOKEN_PREFIX = re.compile(r"\btgs_[A-Za-z0-9_-]*")


class Journey:
    """One person's walk: sign in once, then click; every page reached is checked."""

    def __init__(self, page, live_server, username: str):
        self.page, self.live_server, self.username = page, live_server, username
        self.documents: list[tuple[str, str]] = []
        self.pages: list[str] = []
        page.on("response", self._record)

    def _record(self, response) -> None:
        if response.request.resource_type == "document" and response.request.frame == (
            self.page.main_frame
        ):
            self.documents.append((response.url, response.headers.get("content-type", "")))

    def sign_in(self) -> None:
        """The only URL typed: the login page; the home page follows."""
        self.page.goto(f"{self.live_server.url}/accounts/login/")
        self.page.fill("#id_username", self.username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        self.check()

    def click(self, target, **kwargs) -> None:
        """Click a link or button (a selector or a locator), wait for the page and check it."""
        locator = self.page.locator(target) if isinstance(target, str) else target
        locator.first.click(**kwargs)
        self.page.wait_for_load_state()
        self.check()

    def check(self) -> None:
        """The page is a page for people: not JSON, no machine names in what it says."""
        url, content_type = self.documents[-1] if self.documents else (self.page.url, "")
        self.pages.append(url)
        assert "json" not in content_type, f"{url} answered {content_type}"
        text = self.page.inner_text("body")
        assert not text.lstrip().startswith(("{", "[")), f"{url} shows JSON: {text[:200]}"
        text_without_keys = TOKEN_PREFIX.sub("token-key", text)
        shown = [m for m in MACHINE_NAME.finditer(text_without_keys) if m.group() not in USERNAMES]
        assert not shown, f"{url} shows machine names: " + "; ".join(
            f"{m.group()} in “…{text_without_keys[max(0, m.start() - 200) : m.end() + 20]!r}…”"
            for m in shown
        )

    def text(self, selector: str = "body") -> str:
        return self.page.locator(selector).first.inner_text()

    def shot(self, step: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"journey-{self.username}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000

    def home_row(self, title: str):
        """The work-queue row naming this title, on the home page."""
        return self.page.locator("#work-queue tr", has_text=title)


def _sign_out(journey: Journey) -> None:
    journey.click("header button[type=submit]")


# --- security and legal: an assessment -------------------------------------------------------


def test_security_reviews_signs_and_approves_an_assessment_that_legal_signs(
    live_server, page, security, legal, assessment, judge
):
    # Everything judged but one security item, which security reviews in the browser.
    responses = list(assessment.responses.select_related("item"))
    last = next(
        r for r in responses if r.item.owner_role == "security" and r.item.evidence_required
    )
    for response in responses:
        if response != last:
            judge(response)

    me = Journey(page, live_server, "security")
    me.sign_in()
    assert "Waiting for you" in me.text("#work-queue")
    me.shot("home")
    me.click(me.home_row(str(assessment)).get_by_role("link"))
    me.shot("assessment-blocked")
    assert "Approval is blocked" in me.text("#gate")
    # Review the open item from the assessment's verdict list.
    me.click(
        page.locator(".inline-related tr", has_text=last.item.title).locator("a.inlineviewlink")
    )
    page.select_option("#id_status", "satisfied")
    page.fill("#id_comment", "Tracing documented in the vendor's audit-log guide, section 3.")
    pdf = make_pdf("tracing.pdf", b"per-request tracing")
    page.set_input_files(
        "#id_evidence_file",
        files=[{"name": "tracing.pdf", "mimeType": "application/pdf", "buffer": pdf.read()}],
    )
    me.click("input[name=_save]")
    assert "was changed successfully" in me.text()
    me.click(page.get_by_role("link", name="View site"))  # the admin's way back home
    me.click(me.home_row(str(assessment)).get_by_role("link"))
    me.click(page.get_by_role("button", name="Sign as security"))
    assert "You signed" in me.text()
    me.shot("assessment-signed")

    _sign_out(me)
    them = Journey(page, live_server, "legal")
    them.sign_in()
    them.click(them.home_row(str(assessment)).get_by_role("link"))
    them.click(page.get_by_role("button", name="Sign as legal"))
    them.shot("assessment-signed")

    _sign_out(them)
    me = Journey(page, live_server, "security")
    me.sign_in()
    row = me.home_row(str(assessment))
    assert "Approve" in row.inner_text()
    me.click(row.get_by_role("link"))
    me.click("#gate-button")
    assert "is approved" in me.text()
    me.shot("assessment-approved")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.APPROVED


# --- security: the shortlist -----------------------------------------------------------------


def test_security_publishes_a_shortlist_that_legal_signed(
    live_server, page, security, legal, draft
):
    from governance.services.signoffs import signoff_record

    signoff_record(kind="shortlist", subject=draft, role="legal", decision="approve", actor=legal)
    me = Journey(page, live_server, "security")
    me.sign_in()
    me.click(me.home_row(f"Shortlist draft v{draft.number}").get_by_role("link"))
    me.click(page.get_by_role("button", name="Sign as security"))
    me.shot("shortlist-signed")
    me.click("#gate-button")
    assert "is published" in me.text()
    me.shot("shortlist-published")
    draft.refresh_from_db()
    assert draft.status == ShortlistStatus.PUBLISHED


# --- auditor: packets ------------------------------------------------------------------------


def test_the_auditor_verifies_a_genuine_and_a_tampered_packet(
    live_server, page, auditor, approved_assessment, security, render_packet_of
):
    packet = render_packet_of(PacketKind.ASSESSMENT, approved_assessment, security)
    assert packet.status == "ready"
    genuine = packet.file.open("rb").read()
    flipped = bytearray(genuine)
    flipped[len(flipped) // 2] ^= 0x01  # one bit inside the document's body
    tampered = bytes(flipped)

    me = Journey(page, live_server, "auditor")
    me.sign_in()
    me.click(page.get_by_role("link", name="Verify a packet"))
    for name, data in (("genuine", genuine), ("tampered", tampered)):
        page.set_input_files(
            "#file", files=[{"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": data}]
        )
        me.click(page.get_by_role("button", name="Check the file"))
        me.shot(f"verify-{name}")
        result = me.text("#result")
        assert ("matches a stored packet: yes" in result) == (name == "genuine"), result
    assert Packet.objects.count() == 1


# --- AI PM: a pilot from registration to its checkpoint ------------------------------------


def _record_baseline(me: Journey, metric: str, value: str, tier: str, start: str, end: str):
    form = me.page.locator("#baseline-form")
    form.locator("select[name=metric]").select_option(label=metric)
    form.locator("select[name=tier]").select_option(tier)
    form.locator("input[name=value]").fill(value)
    form.locator("input[name=sample_size]").fill("120")
    form.locator("input[name=period_start]").fill(start)
    form.locator("input[name=period_end]").fill(end)
    me.click("#add-baseline")
    assert "Baseline recorded" in me.text()


def test_an_ai_pm_registers_submits_and_sees_approval(
    live_server, page, ai_pm, security, finance, published
):
    from governance.models import Pilot
    from governance.services import pilots as ps
    from governance.services.signoffs import signoff_record
    from tests.factories import OfferingFactory, TeamFactory

    offering = OfferingFactory(
        vendor=published.entries.get(vendor__slug="helix").vendor, name="Helix Code"
    )
    TeamFactory(name="Payments")
    start = timezone.localdate() + timedelta(days=30)
    period = ((start - timedelta(days=120)).isoformat(), (start - timedelta(days=30)).isoformat())

    me = Journey(page, live_server, "ai_pm")
    me.sign_in()
    me.click(page.get_by_role("link", name="Register a pilot"))
    page.fill("#id_title", "Helix for payments tests")
    page.select_option("#id_offering", label=str(offering))
    page.get_by_label("Payments").check()
    page.get_by_label("Test generation").check()
    page.fill("#id_use_case", "Unit tests for the payments service.")
    page.fill("#id_planned_start", start.isoformat())
    page.fill("#id_planned_end", (start + timedelta(days=75)).isoformat())
    me.click("#register")
    _record_baseline(me, "Cycle time per shipped PR", "31.5", "standard", *period)
    _record_baseline(me, "Defect escape rate", "0.12", "", *period)
    _record_baseline(me, "Reviewer minutes per PR", "42", "", *period)
    _record_baseline(me, "Feature throughput", "20", "", *period)
    kill = page.locator("#kill-form")
    kill.locator("select[name=metric]").select_option(label="Reviewer minutes per PR")
    kill.locator("select[name=comparator]").select_option("worse_pct")
    kill.locator("input[name=threshold]").fill("20")
    kill.locator("input[name=evaluate_from_day]").fill("60")
    me.click("#add-kill")
    me.click("#submit-pilot")
    me.shot("pilot-submitted")
    assert "cannot" in me.text("#who-approves")

    pilot = Pilot.objects.get(title="Helix for payments tests")
    for user, role in ((security, "security"), (finance, "finance")):
        signoff_record(kind="pilot", subject=pilot, role=role, decision="approve", actor=user)
    ps.pilot_approve(pilot=pilot, actor=finance)

    me.click(page.locator("header").get_by_role("link", name="Notifications"))
    assert "Helix for payments tests is approved" in me.text()
    me.shot("notified")
    me.click(page.locator("header").get_by_role("link", name="My work"))
    me.click(page.get_by_role("link", name="My pilots"))
    me.click(page.get_by_role("link", name="Helix for payments tests"))
    assert "Approved" in me.text("h1")
    me.shot("pilot-approved")


def test_an_ai_pm_reads_a_checkpoint_with_its_chart(live_server, page, ai_pm, evaluation):
    from governance.models import Measurement

    me = Journey(page, live_server, "ai_pm")
    me.sign_in()
    row = me.home_row(str(evaluation.pilot))
    assert "Kill recommended" in row.first.inner_text()
    me.click(row.get_by_role("link"))
    assert "Day 90" in me.text("#evaluations")
    # Each chart is an image the browser fetches (lazily, once it scrolls into view).
    chart = page.locator("#charts img").first
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('#charts img'); "
        "return i.complete && i.naturalWidth > 0; }"
    )
    assert chart.get_attribute("alt").startswith("Chart: ")
    me.shot("checkpoint")
    # The checkpoint's figures lead to the measurement periods of its window, and back.
    me.click(page.locator("#evaluations .rows-links a", has_text="measurement periods"))
    assert "Measurement periods" in me.text("h1")
    window = Measurement.objects.filter(
        pilot=evaluation.pilot,
        period_end__gt=evaluation.window_start,
        period_end__lte=evaluation.window_end,
    )
    assert page.locator("#rows tbody tr").count() == window.count() > 0
    assert f"{window.count()} rows" in me.text("#total")
    me.shot("checkpoint-rows")
    me.click(page.get_by_role("link", name=f"Back to {evaluation.pilot}"))
    assert "Day 90" in me.text("#evaluations")


# --- finance: a quarterly review -------------------------------------------------------------


def test_finance_decides_a_quarterly_review_and_downloads_its_packet(
    live_server, page, finance, evaluation
):
    from governance.models import QuarterlyReview

    pilot = evaluation.pilot
    me = Journey(page, live_server, "finance")
    me.sign_in()
    me.shot("home")
    waiting = me.text("#work-badge .count")
    row = me.home_row(f": {pilot}").filter(has_text="Quarterly review due")
    me.click(row.get_by_role("link"))
    # Away from home the header's count arrives after the page, from a request of its own.
    badge = page.locator("#work-badge .count")
    badge.wait_for(state="visible")
    assert badge.inner_text() == waiting and int(waiting) >= 2
    me.shot("review-decide")
    page.select_option("#id_decision", "hold")
    page.fill("#id_rationale", "The day-90 breach is inside the J-curve; hold and re-check at 180.")
    me.click(page.locator("#decide button[type=submit]"))
    assert "Decided" in me.text()
    me.click(page.get_by_role("button", name="Sign as finance"))
    me.shot("review-signed")
    me.click(page.get_by_role("button", name="Request this review's sign-off packet"))
    assert "Ready" in me.text() or "ready" in me.text()
    me.shot("review-packet")
    with page.expect_download() as download:
        page.locator("#download").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    review = QuarterlyReview.objects.get(pilot=pilot)
    assert (review.decision, review.status) == ("hold", "signed")


# --- platform: a service token ---------------------------------------------------------------


def test_platform_creates_a_token_and_revokes_it(live_server, page, platform):
    from governance.models import ServiceToken

    me = Journey(page, live_server, "platform")
    me.sign_in()
    me.click(page.get_by_role("link", name="Service tokens"))
    me.click(page.locator(".object-tools a.addlink"))
    page.fill("#id_name", "telemetry-collector")
    page.get_by_label("Post measurements for granted pilots (telemetry)").check()
    me.click("input[name=_save]")
    assert "Copy its key now" in me.text(), page.locator(".errorlist").all_inner_texts()
    me.shot("token-created")
    token = ServiceToken.objects.get(name="telemetry-collector")
    page.locator("tr", has_text="telemetry-collector").locator("input.action-select").check()
    page.select_option("select[name=action]", "revoke")
    me.click(page.locator("button[name=index]"))
    assert "Revoked: 1." in me.text()
    me.shot("token-revoked")
    token.refresh_from_db()
    assert token.revoked_at is not None
