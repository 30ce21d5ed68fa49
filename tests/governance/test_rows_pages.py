"""Every figure of the pilot, decide and review pages links to the rows behind it; each rows
page lists them with the count, dates and SHA-256 a packet's appendix would print."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from governance.models import Measurement, Spend
from governance.selectors.sources import SPEND_COLUMNS, pilot_sources, source_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def run(user):
        client.force_login(get_user_model().objects.get(pk=user.pk))
        return client

    return run


def _links(html: str) -> list[str]:
    return re.findall(r'href="(/rows/[^"]+)"', html.replace("&amp;", "&"))


def test_the_decide_page_links_its_spend_to_the_ledger_rows_it_sums(
    signed_in, finance, ledger, rates, as_of
):
    client = signed_in(finance)
    page = client.get(f"/finance/decide/?scope=pilot&id={ledger.pk}&quarter=2027-Q2")
    links = _links(page.content.decode())
    spend = next(link for link in links if "/spend/" in link)
    assert spend == f"/rows/pilot/{ledger.pk}/spend/?until={as_of.isoformat()}"
    rows = client.get(spend)
    assert rows.status_code == 200
    expected = Spend.objects.filter(pilot=ledger, month__lte=as_of)
    html = rows.content.decode()
    assert f"<strong>{expected.count()}</strong> rows" in html
    # The page's digest is the one a packet's appendix prints for the same rows.
    assert source_digest(expected, SPEND_COLUMNS)[1] in html
    # What the page calls spend to date is the sum of the amounts listed.
    total = sum(row.amount for row in expected)
    assert "Spend to date: $17,000.00" in page.content.decode() and total == Decimal(17000)
    for row in expected:
        assert f"{row.amount.normalize():,f}" in html


def test_the_pilot_page_links_each_figure_to_its_rows(signed_in, ai_pm, evaluation):
    client = signed_in(evaluation.pilot.owner)
    html = client.get(reverse("pilot-page", args=[evaluation.pilot.pk])).content.decode()
    links = _links(html)
    names = {link.split("/")[4] for link in links}
    assert {"measurements", "team-series", "baselines", "pull-requests", "gateway"} <= names
    window = next(link for link in links if "since=" in link)
    assert window == (
        f"/rows/pilot/{evaluation.pilot.pk}/measurements/?since={evaluation.window_start}"
        f"&until={evaluation.window_end}"
    )
    listed = client.get(window)
    assert listed.status_code == 200
    count = Measurement.objects.filter(
        pilot=evaluation.pilot,
        period_end__gt=evaluation.window_start,
        period_end__lte=evaluation.window_end,
    ).count()
    assert f"<strong>{count}</strong> row" in listed.content.decode()
    assert "Reviewer minutes per PR" in listed.content.decode()  # names, not ids


def test_a_role_that_may_not_list_spend_gets_no_link_and_a_403(signed_in, security, ledger):
    client = signed_in(security)
    html = client.get(reverse("pilot-page", args=[ledger.pk])).content.decode()
    assert "/spend/" not in "".join(_links(html))
    assert client.get(f"/rows/pilot/{ledger.pk}/spend/").status_code == 403
    assert client.get(f"/rows/pilot/{ledger.pk}/measurements/").status_code == 200


@pytest.mark.parametrize("role", ["security", "legal"])
def test_roles_that_may_not_read_spend_cannot_list_a_programs_spend(
    signed_in, persona, role, ledger
):
    offering = ledger.offering.pk
    client = signed_in(persona(role))
    assert client.get(f"/rows/program/{offering}/spend/").status_code == 403
    assert client.get(f"/rows/program/{offering}/measurements/").status_code == 200


def test_someone_without_a_role_lists_no_rows(signed_in, ledger):
    nobody = get_user_model().objects.create_user("nobody", password="x" * 20)
    client = signed_in(nobody)
    assert client.get(f"/rows/program/{ledger.offering.pk}/measurements/").status_code == 403
    assert client.get(f"/rows/pilot/{ledger.pk}/measurements/").status_code == 403


@pytest.mark.parametrize("role", ["finance", "auditor", "ai_pm", "platform"])
def test_roles_that_read_spend_list_a_programs_spend(signed_in, persona, role, ledger):
    response = signed_in(persona(role)).get(f"/rows/program/{ledger.offering.pk}/spend/")
    assert response.status_code == 200
    assert "Spend ledger rows" in response.content.decode()


def test_unknown_rows_are_a_404(signed_in, finance, ledger):
    client = signed_in(finance)
    assert client.get(f"/rows/pilot/{ledger.pk}/nothing/").status_code == 404
    assert client.get(f"/rows/vendor/{ledger.pk}/spend/").status_code == 404
    assert client.get(f"/rows/pilot/{ledger.pk}/spend/?until=2027-13-40").status_code == 200


def test_someone_signed_out_is_sent_to_sign_in(client, ledger):
    response = client.get(f"/rows/pilot/{ledger.pk}/spend/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_source_of_a_pilot_has_a_page(signed_in, finance, ledger):
    client = signed_in(finance)
    for source in pilot_sources(ledger):
        response = client.get(f"/rows/pilot/{ledger.pk}/{source.name}/")
        assert response.status_code == 200, source.name
        assert source.label in response.content.decode()


@pytest.mark.parametrize("role", ["finance", "auditor", "ai_pm"])
def test_a_programs_rows_lead_back_to_a_page_the_reader_may_open(signed_in, persona, role, ledger):
    client = signed_in(persona(role))
    page = client.get(f"/rows/program/{ledger.offering.pk}/measurements/")
    back = re.search(r'<a href="([^"]+)">Back to ', page.content.decode()).group(1)
    assert client.get(back.replace("&amp;", "&")).status_code == 200
