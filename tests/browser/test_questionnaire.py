"""In real Chromium: a vendor contact answers through the emailed link, without an account,
and legal accepts the answer in the admin."""

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, BROWSER_TEST
from tests.factories import PASSWORD, VendorFactory
from vendors.models import ProposedAnswer
from vendors.services.assessments import assessment_open
from vendors.services.questionnaires import questionnaire_revoke, questionnaire_send

pytestmark = BROWSER_TEST


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"questionnaire-{name}.png"), full_page=True)


def test_a_vendor_answers_through_the_link_and_legal_accepts(
    live_server, page, security, legal, tmp_path
):
    assessment = assessment_open(vendor=VendorFactory(name="Acme AI", slug="acme"), actor=security)
    sent = questionnaire_send(
        assessment=assessment,
        contact_name="Vera Vendor",
        contact_email="vera@acme.example",
        message="Please answer before the end of the month.",
        actor=security,
        base_url=live_server.url,
    )
    residency = sent.questionnaire.responses.get(item__code="data-residency")

    page.goto(sent.link)
    expect(page.get_by_role("heading", name="Questionnaire: Acme AI")).to_be_visible()
    item = page.locator(f"#item-{residency.pk}")
    expect(item).to_contain_text(residency.item.guidance)
    expect(item).to_contain_text("Evidence needed")
    shot(page, "1-opened")

    item.get_by_label("Your answer").fill("All prompts and completions stay in eu-west-1.")
    item.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("status")).to_have_text("Answer sent for review.")

    dpa = tmp_path / "dpa.pdf"
    dpa.write_bytes(b"%PDF-1.4\n% data processing agreement, clause 4.2\n%%EOF\n")
    item = page.locator(f"#item-{residency.pk}")
    item.locator("input[type=file]").set_input_files(str(dpa))
    item.get_by_role("button", name="Attach file").click()
    expect(page.get_by_role("status")).to_have_text("dpa.pdf attached for review.")
    item = page.locator(f"#item-{residency.pk}")
    expect(item).to_contain_text("Awaiting review")
    expect(item).to_contain_text("dpa.pdf")
    shot(page, "2-answered")

    disguised = tmp_path / "report.pdf"
    disguised.write_bytes(b"MZ\x90\x00 a Windows program")
    item.locator("input[type=file]").set_input_files(str(disguised))
    item.get_by_role("button", name="Attach file").click()
    expect(page.get_by_role("alert")).to_contain_text("executable")
    shot(page, "3-refused-file")

    proposal = ProposedAnswer.objects.get()
    assert proposal.files.count() == 1
    proposal.response.refresh_from_db()
    assert proposal.response.status == "open"  # the vendor sets no verdict

    # Legal (the item's owner) reviews it in the admin.
    admin = page.context.browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    change = f"/admin/vendors/proposedanswer/{proposal.pk}/change/"
    admin.goto(f"{live_server.url}/accounts/login/?next={change}")
    admin.fill("#id_username", "legal")
    admin.fill("#id_password", PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_url(f"**{change}")
    expect(admin.locator(".field-answer")).to_contain_text("eu-west-1")
    shot(admin, "4-review")
    admin.select_option("#id_status", "satisfied")
    admin.click("button[name=_accept]")
    expect(admin.locator(".messagelist")).to_contain_text("Accepted")
    shot(admin, "5-accepted")
    proposal.response.refresh_from_db()
    assert proposal.response.status == "satisfied"
    assert proposal.response.verdict_by == legal
    assert proposal.response.evidence.count() == 1

    questionnaire_revoke(questionnaire=sent.questionnaire, actor=security, reason="Answered")
    page.goto(sent.link)
    expect(page.get_by_role("heading", name="This link was withdrawn")).to_be_visible()
    shot(page, "6-revoked")
