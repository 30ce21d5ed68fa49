"""Every packet lists the rows behind its figures (count, dates, SHA-256), seals that list, and
its page flags a group of rows that changed after it was rendered."""

from decimal import Decimal

import pytest
from django.urls import reverse

from governance.models import Measurement, Packet
from governance.selectors.packets import PACKET_KINDS, packet_source_changes
from governance.selectors.sources import MEASUREMENT_COLUMNS, source_digest, sources_summary
from tests.governance.tamper import guards_off

pytestmark = pytest.mark.django_db


def _appendix(packet: Packet) -> str:
    from governance.pdf import pdf_text

    with packet.file.open("rb") as handle:
        text = " ".join(pdf_text(handle.read()).split())
    assert "Appendix: the rows behind the figures" in text
    return text.replace(" ", "")


def test_a_checkpoint_packet_lists_the_measurements_of_its_window(
    render_packet_of, evaluation, ai_pm
):
    packet = render_packet_of("checkpoint", evaluation, ai_pm)
    assert packet.status == "ready", packet.error
    window = Measurement.objects.filter(
        pilot=evaluation.pilot,
        period_end__gt=evaluation.window_start,
        period_end__lte=evaluation.window_end,
    )
    stored = packet.sources["measurements"]
    assert stored["rows"] == window.count() > 0
    assert stored["sha256"] == source_digest(window, MEASUREMENT_COLUMNS)[1]
    assert {"measurements", "baselines", "team-series", "pull-requests"} <= set(packet.sources)
    text = _appendix(packet)
    for source in packet.sources.values():
        assert source["sha256"] in text


def test_a_changed_measurement_is_flagged_on_the_checkpoint_packets_page(
    client, render_packet_of, evaluation, ai_pm
):
    packet = render_packet_of("checkpoint", evaluation, ai_pm)
    assert packet_source_changes(packet) == []
    row = Measurement.objects.filter(
        pilot=evaluation.pilot, period_end__lte=evaluation.window_end
    ).latest("period_end")
    row.value = row.value + Decimal("1")
    row.save()
    changed = packet_source_changes(packet)
    assert [c["source"] for c in changed] == ["measurements"]
    assert changed[0]["changed_on"] == Measurement.objects.get(pk=row.pk).recorded_at
    client.force_login(ai_pm)
    page = client.get(reverse("packet-page", args=[packet.pk]))
    assert "The data behind checkpoint values and kill-criterion verdicts" in page.content.decode()


def test_an_assessment_packet_lists_responses_evidence_and_exceptions(
    client, render_packet_of, approved_assessment, ai_pm
):
    packet = render_packet_of("assessment", approved_assessment, ai_pm)
    assert set(packet.sources) == {"responses", "evidence", "exceptions"}
    assert packet.sources["responses"]["rows"] == approved_assessment.responses.count()
    assert _appendix(packet).count(packet.sources["evidence"]["sha256"]) == 1
    response = approved_assessment.responses.first()
    with guards_off():  # an edit behind Tollgate's back: the flag still names it
        type(response).objects.filter(pk=response.pk).update(comment="edited afterwards")
    assert [c["source"] for c in packet_source_changes(packet)] == ["responses"]


@pytest.mark.parametrize("kind", ["shortlist", "pilot_charter", "quarterly_review"])
def test_every_other_kind_lists_its_sources_too(
    kind, render_packet_of, published, approved_pilot, decide, finance, security
):
    from governance.services import finance as fs

    subject = {
        "shortlist": lambda: published,
        "pilot_charter": lambda: approved_pilot,
        "quarterly_review": lambda: fs.review_sign(
            review=decide(decision="hold", rationale="Too early to say."),
            actor=finance,
            role="finance",
            decision="approve",
        ),
    }[kind]()
    packet = render_packet_of(kind, subject, security if kind == "shortlist" else finance)
    assert packet.status == "ready", packet.error
    expected = sources_summary(PACKET_KINDS[kind].sources(subject))
    assert packet.sources == expected and expected
    if kind == "quarterly_review":
        assert packet.sources["spend"]["rows"] > 0
    _appendix(packet)


def test_the_seal_covers_the_sources(render_packet_of, evaluation, ai_pm):
    from governance.services.packets import packet_verify

    packet = render_packet_of("checkpoint", evaluation, ai_pm)
    assert packet.seal == packet.compute_seal()
    forged = {**packet.sources, "measurements": {**packet.sources["measurements"], "rows": 0}}
    with guards_off():
        Packet.objects.filter(pk=packet.pk).update(sources=forged)
    packet.refresh_from_db()
    assert packet.seal != packet.compute_seal()
    verification = packet_verify(packet_id=packet.pk)
    assert not verification.chain_intact
    assert any("seal" in problem for problem in verification.problems), verification.problems
