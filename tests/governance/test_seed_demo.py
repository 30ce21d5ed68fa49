"""seed_demo: one user per role, idempotent, password handled safely."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from governance.choices import Role


@pytest.mark.django_db
def test_it_creates_one_user_per_role_with_the_given_password(capsys):
    call_command("seed_demo", password="demo-pass-1", users_only=True)
    for role in Role:
        user = authenticate(username=role.value, password="demo-pass-1")
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [role.value]
    assert "demo-pass-1" not in capsys.readouterr().out


@pytest.mark.django_db
def test_it_is_idempotent(capsys):
    call_command("seed_demo", password="demo-pass-1", users_only=True)
    call_command("seed_demo", users_only=True)
    assert User.objects.filter(username__in=Role.values).count() == len(Role)
    assert "already exist" in capsys.readouterr().out
    assert authenticate(username="finance", password="demo-pass-1") is not None


@pytest.mark.django_db
def test_it_generates_and_prints_a_password_once(capsys, settings):
    settings.TOLLGATE_DEMO_PASSWORD = ""
    call_command("seed_demo", users_only=True)
    out = capsys.readouterr().out
    password = out.split("Demo password (shown once): ")[1].split()[0]
    assert authenticate(username="auditor", password=password) is not None
    call_command("seed_demo", users_only=True)
    assert "Demo password" not in capsys.readouterr().out


@pytest.mark.django_db
def test_it_takes_the_password_from_the_environment_setting(settings):
    settings.TOLLGATE_DEMO_PASSWORD = "from-env-pass"
    call_command("seed_demo", users_only=True)
    assert authenticate(username="legal", password="from-env-pass") is not None


@pytest.mark.django_db
def test_it_seeds_six_months_of_spend_and_one_signed_review():
    from governance.models import QuarterlyReview, Spend

    call_command("seed_demo", password="demo-pass-1", no_packets=True, no_evidence=True)
    call_command("seed_demo", no_packets=True, no_evidence=True)
    assert Spend.objects.dates("month", "month").count() == 6
    review = QuarterlyReview.objects.get()
    assert review.status == "signed"
    outputs = review.snapshot["roi"]["audited"]["outputs"]
    assert outputs["net_roi"] is not None
    assert review.snapshot["roi"]["problems"] == []


@pytest.mark.django_db
def test_the_running_pilot_has_control_teams_chosen_before_its_first_checkpoint():
    from governance.models import Pilot

    call_command("seed_demo", password="demo-pass-1", no_packets=True, no_evidence=True)
    running = Pilot.objects.get(status="running")
    assert sorted(running.control_teams.values_list("name", flat=True)) == ["Checkout", "Payments"]
    assert running.evaluations.exists()  # evaluated after the controls were set, so fixed now


@pytest.mark.django_db
def test_it_renders_one_packet_of_each_kind(capsys):
    from governance.models import Packet

    call_command("seed_demo", password="demo-pass-1", no_evidence=True)
    ready = dict(Packet.objects.values_list("kind", "status"))
    assert ready == {
        "assessment": "ready",
        "shortlist": "ready",
        "pilot_charter": "ready",
        "checkpoint": "ready",
        "quarterly_review": "ready",
    }
    assert [p.sequence for p in Packet.objects.order_by("sequence")] == [1, 2, 3, 4, 5]
    assert "Sign-off packets: #" in capsys.readouterr().out
    call_command("seed_demo", no_evidence=True)
    assert Packet.objects.count() == 5


@pytest.mark.django_db
def test_users_only_seeds_no_demo_world(capsys):
    from governance.models import Pilot
    from vendors.models import Vendor

    call_command("seed_demo", password="demo-pass-1", users_only=True)
    assert User.objects.filter(username__in=Role.values).count() == len(Role)
    assert (Vendor.objects.count(), Pilot.objects.count()) == (0, 0)
    assert "Created demo vendors" not in capsys.readouterr().out


@pytest.mark.django_db
def test_no_packets_seeds_the_world_without_rendering(capsys):
    from governance.models import Packet, Pilot

    call_command("seed_demo", password="demo-pass-1", no_packets=True, no_evidence=True)
    out = capsys.readouterr().out
    # Four pilots at the gates, and four that stopped on the way (the funnel's demo).
    assert Pilot.objects.count() == 8
    assert Packet.objects.count() == 0
    assert "Created demo vendors" in out and "Sign-off packets" not in out
    # The four shipped frameworks are loaded and mapped (loading again changes nothing).
    from vendors.models import Framework

    assert Framework.objects.filter(current=True).count() == 4
    assert "Loaded frameworks: " in out


@pytest.mark.django_db
def test_it_seeds_sub_processors_a_change_awaiting_review_and_two_questionnaires(capsys):
    from vendors.models import (
        Framework,
        ProposedAnswer,
        Questionnaire,
        SubProcessor,
        SubProcessorChange,
        Vendor,
    )

    call_command("seed_demo", password="demo-pass-1", no_packets=True, no_evidence=True)
    assert "Pending vendor questionnaire (shown once): http" in capsys.readouterr().out
    call_command("seed_demo", no_packets=True, no_evidence=True)
    assert "Pending vendor questionnaire" not in capsys.readouterr().out

    for vendor in Vendor.objects.all():
        assert SubProcessor.objects.filter(vendor=vendor).exists(), vendor
    waiting = SubProcessorChange.objects.get(settled_at__isnull=True)
    assert waiting.detail == "Sandpiper Sandbox now also in SG"
    residency = waiting.vendor.assessments.get().responses.get(item__code="data-residency")
    assert residency.status == "needs_review"

    answered, pending = Questionnaire.objects.order_by("pk")
    proposal = ProposedAnswer.objects.get()
    assert proposal.questionnaire == answered and proposal.status == "proposed"
    assert proposal.files.count() == 1
    assert proposal.response.status == "not_satisfied"  # no verdict without a reviewer
    assert not pending.answers.exists()
    assert list(pending.responses.all()) == [residency]
    assert Framework.objects.filter(current=True).count() == 4


@pytest.mark.django_db
def test_it_seeds_one_model_switch_signed_again_and_one_rollback_once():
    from governance.models import Pilot
    from vendors.models import ModelRollback, ModelSwitch
    from vendors.selectors.shortlist import shortlist_check

    call_command("seed_demo", password="demo-pass-1", no_packets=True, no_evidence=True)
    call_command("seed_demo", no_packets=True, no_evidence=True)
    running = Pilot.objects.get(status="running")
    # Without gateway logs the switch is declared on the running pilot, mid-pilot.
    switch = ModelSwitch.objects.get()
    assert (switch.offering, switch.detected_from) == (running.offering, "declared")
    assert 60 < (switch.detected_on - running.started_on).days < 110
    assert switch.status == "settled"  # its items judged and signed again
    assert shortlist_check(vendor_slug="helix", use="completion", model="helix-core:3.5").allowed
    rollback = ModelRollback.objects.get()
    answer = shortlist_check(vendor_slug="helix", use="completion", model="helix-swift:3.2")
    assert (answer.allowed, answer.rollback_target) == (False, str(rollback.target))
