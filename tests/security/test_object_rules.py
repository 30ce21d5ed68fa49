"""Object rules: a packet's details follow its subject, pilot evaluation is the owner's or
security's, response metadata follows the evidence rule, service tokens read published
shortlists only, and seed_demo validates the password and says what it changed."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from governance.choices import Role
from governance.services import pilots as ps
from governance.services.tokens import service_token_create
from tests.factories import UserFactory
from tests.governance.finance_fixtures import START
from vendors.services.shortlist import shortlist_draft_create

pytestmark = pytest.mark.django_db


# --- packets: details only to those who may view the subject --------------------------------


@pytest.fixture
def assessment_packet(render_packet_of, approved_assessment, security):
    return render_packet_of("assessment", approved_assessment, security)


def _pdf(packet) -> bytes:
    with packet.file.open("rb") as handle:
        return handle.read()


def test_platform_learns_only_that_an_assessment_packet_is_valid(
    api_as, platform, assessment_packet
):
    client = api_as(platform)
    by_id = client.get(f"/api/v1/packets/verify/?id={assessment_packet.pk}")
    by_file = client.post(
        "/api/v1/packets/verify/",
        {"file": SimpleUploadedFile("p.pdf", _pdf(assessment_packet))},
        format="multipart",
    )
    for response in (by_id, by_file):
        assert response.status_code == 200
        body = response.json()
        assert body["matches"] is True and body["chain_intact"] is True
        assert body["message"].startswith("Valid:")
        assert (body["certifies"], body["packet"], body["sequence"]) == ("", None, None)
        assert assessment_packet.summary not in str(body)
        assert assessment_packet.subject_label not in str(body)


def test_a_reviewer_sees_the_assessment_packet_in_full(api_as, legal, assessment_packet):
    body = api_as(legal).get(f"/api/v1/packets/verify/?id={assessment_packet.pk}").json()
    assert body["packet"] == assessment_packet.pk
    assert assessment_packet.summary in body["certifies"]


def test_the_verify_page_hides_the_details_from_platform(client, platform, assessment_packet):
    client.force_login(platform)
    page = client.get(f"/packets/verify/?id={assessment_packet.pk}").content.decode()
    assert "Valid:" in page
    assert assessment_packet.summary not in page
    assert f"/packets/{assessment_packet.pk}/" not in page


def test_the_packet_changelist_hides_packets_of_subjects_platform_may_not_view(
    client, platform, assessment_packet
):
    platform.is_staff = True
    platform.save()
    client.force_login(platform)
    changelist = client.get("/admin/governance/packet/")
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == []
    detail = client.get(f"/admin/governance/packet/{assessment_packet.pk}/change/")
    assert detail.status_code in (302, 403, 404)


def test_the_packet_changelist_lists_them_to_a_reviewer(client, legal, assessment_packet):
    legal.is_staff = True
    legal.save()
    client.force_login(legal)
    changelist = client.get("/admin/governance/packet/")
    assert list(changelist.context["cl"].result_list) == [assessment_packet]


# --- pilot evaluation: the owner's or security's ---------------------------------------------


@pytest.fixture
def running(approved_pilot, ai_pm):
    with time_machine.travel(START, tick=False):
        return ps.pilot_start(pilot=approved_pilot, actor=ai_pm)


def _evaluate(client, pilot):
    with time_machine.travel(START + timedelta(days=91), tick=False):
        return client.post(
            f"/api/v1/pilots/{pilot.pk}/evaluate/",
            {"checkpoint_day": pilot.checkpoint_days[0]},
            format="json",
        )


FORBIDDEN_EVALUATORS = ["other_pm", "platform", "finance", "legal", "auditor"]


@pytest.mark.parametrize("who", FORBIDDEN_EVALUATORS)
def test_only_the_owner_or_security_evaluates_a_pilot(api_as, persona, running, who):
    user = UserFactory(username="pm2", role="ai_pm") if who == "other_pm" else persona(who)
    response = _evaluate(api_as(user), running)
    assert response.status_code == 403, response.content
    assert not running.evaluations.exists()


@pytest.mark.parametrize("who", ["ai_pm", "security"])
def test_the_owner_and_security_evaluate_a_pilot(api_as, persona, running, who):
    response = _evaluate(api_as(persona(who)), running)
    assert response.status_code == 200, response.content
    assert running.evaluations.count() == 1


def test_another_pm_cannot_evaluate_from_the_pilot_page(client, running):
    other = UserFactory(username="pm2", role="ai_pm")
    client.force_login(other)
    with time_machine.travel(START + timedelta(days=91), tick=False):
        client.post(
            f"/pilots/{running.pk}/evaluate/", {"checkpoint_day": running.checkpoint_days[0]}
        )
    assert not running.evaluations.exists()


# --- response metadata follows the evidence rule --------------------------------------------


@pytest.mark.parametrize("who", ["ai_pm", "finance"])
def test_responses_hide_evidence_from_roles_refused_evidence(
    api_as, persona, approved_assessment, who
):
    client = api_as(persona(who))
    assert client.get("/api/v1/evidence/").status_code == 403
    responses = client.get(f"/api/v1/responses/?assessment={approved_assessment.pk}")
    assert responses.status_code == 200
    rows = responses.json()["results"]
    assert rows and all(row["evidence"] is None for row in rows)


def test_responses_show_evidence_to_reviewers(api_as, security, approved_assessment):
    rows = api_as(security).get("/api/v1/responses/?page_size=500").json()["results"]
    assert any(row["evidence"] for row in rows)


# --- service tokens read published shortlist versions only -----------------------------------


@pytest.fixture
def gateway(api, platform):
    _, key = service_token_create(name="gateway", scopes=["shortlist:read"], actor=platform)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_shortlist_token_reads_no_draft(gateway, published, security):
    draft = shortlist_draft_create(actor=security)
    listed = gateway.get("/api/v1/shortlist/versions/").json()["results"]
    assert [v["number"] for v in listed] == [published.number]
    assert gateway.get(f"/api/v1/shortlist/versions/{draft.pk}/").status_code == 404
    diff = gateway.get(f"/api/v1/shortlist/versions/{published.pk}/diff/?against={draft.number}")
    assert diff.status_code == 404
    assert gateway.get(f"/api/v1/shortlist/versions/{published.pk}/").status_code == 200


def test_a_person_who_follows_the_shortlist_reads_drafts(api_as, security, published):
    draft = shortlist_draft_create(actor=security)
    assert api_as(security).get(f"/api/v1/shortlist/versions/{draft.pk}/").status_code == 200


# --- seed_demo: validated password, truthful report ------------------------------------------


def test_seed_demo_refuses_a_password_the_validators_refuse(capsys):
    with pytest.raises(CommandError, match=r"Password refused; nothing changed: .*too short"):
        call_command("seed_demo", password="1", users_only=True)
    assert authenticate(username="security", password="1") is None


def test_seed_demo_says_which_passwords_it_set(capsys):
    call_command("seed_demo", password="demo-pass-1", users_only=True)
    capsys.readouterr()
    call_command("seed_demo", password="other-pass-2", users_only=True)
    out = capsys.readouterr().out
    assert "passwords unchanged" not in out
    assert "Set the given password for existing demo users: " in out
    assert all(role.value in out for role in Role)
    assert authenticate(username="finance", password="other-pass-2") is not None
