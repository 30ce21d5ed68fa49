"""How pages read to a person: local styles, badges, human names, formatted figures, messages."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from governance.templatetags.display import badge, human

pytestmark = pytest.mark.django_db


def test_pages_load_only_our_own_stylesheets_and_no_inline_style_block(client, auditor):
    client.force_login(auditor)
    html = client.get("/pilots/").content.decode()
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert sheets == [
        "/static/governance/vendor/pico/pico.classless.min.css",
        "/static/governance/site.css",
    ]
    assert "<style" not in html
    for sheet in sheets:  # served from our static files, not a CDN
        assert finders.find(sheet.removeprefix("/static/"))


def test_the_bundled_pico_keeps_its_licence_header():
    with open(finders.find("governance/vendor/pico/pico.classless.min.css"), encoding="utf-8") as f:
        head = f.read(300)
    assert "Pico CSS" in head and "v2.1.1" in head and "Licensed under MIT" in head
    assert finders.find("governance/vendor/pico/LICENSE.md")


def test_codes_have_human_names():
    assert human("multi_file_refactor") == "Multi-file refactor"
    assert human("under_review") == "Under review"
    assert human("ai_pm") == "AI product manager"
    assert human("some_new_code") == "Some new code"  # a code nobody named yet still reads


def test_a_badge_says_its_status_in_words_and_colour():
    assert badge("approved", "Approved") == (
        '<span class="badge badge-ok" data-status="approved">Approved</span>'
    )
    assert 'class="badge badge-bad"' in badge("killed", "Killed")
    assert 'class="badge badge-warn"' in badge("submitted", "Submitted")
    assert badge("<b>", "").count("<b>") == 0  # escaped


def test_the_pilot_list_shows_status_badges_not_codes(client, auditor, pilot):
    client.force_login(auditor)
    html = client.get("/pilots/").content.decode()
    assert '<span class="badge badge-info" data-status="draft">Draft</span>' in html


def test_a_pilot_step_says_what_happened_in_words(client, ai_pm, pilot, complete_pilot):
    complete_pilot(pilot)
    client.force_login(ai_pm)
    response = client.post(f"/pilots/{pilot.pk}/submit/", follow=True)
    html = response.content.decode()
    assert '<ul class="messages" id="messages"><li class="success" role="status">' in html
    assert f"{pilot}: submitted for sign-off." in html
    assert "submit done" not in html


def test_signing_names_the_role_in_words(client, persona, pilot, complete_pilot, ai_pm):
    from governance.services import pilots as ps

    complete_pilot(pilot)
    ps.pilot_submit(pilot=pilot, actor=ai_pm)
    client.force_login(persona("finance"))
    response = client.post(
        f"/pilots/{pilot.pk}/sign/",
        {"role": "finance", "decision": "approve", "comment": ""},
        follow=True,
    )
    html = response.content.decode()
    assert f"Signed {pilot} as Finance." in html
    assert "Finance: " in html and 'data-status="approve">Approve</span>' in html


def test_marking_a_notification_read_says_so(client, ai_pm):
    from governance.services.notifications import notify

    notify(users=[ai_pm], kind="checkpoint", title="Day 30 evaluated", body="All fine.")
    client.force_login(ai_pm)
    response = client.post("/notifications/", {"id": ai_pm.notifications.get().pk}, follow=True)
    assert "Marked “Day 30 evaluated” as read." in response.content.decode()


def test_finance_figures_are_formatted_for_people(client, finance, decide):
    review = decide(budget_delta="18000.00", currency="USD")
    client.force_login(get_user_model().objects.get(pk=finance.pk))
    home = client.get("/finance/?quarter=2027-Q2").content.decode()
    assert "$18,000.00" in home and "18000.00" not in home
    page = client.get(f"/finance/reviews/{review.pk}/").content.decode()
    assert "budget $18,000.00." in page
    assert 'data-status="hold">Hold</span>' in page
