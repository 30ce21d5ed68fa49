"""The coverage page and its CSV/XLSX export: who may see them and what they show."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from openpyxl import load_workbook

from tests.factories import OfferingFactory
from vendors.services.assessments import assessment_open

pytestmark = pytest.mark.django_db

FRAMEWORKS = Path(settings.BASE_DIR) / "vendors" / "frameworks"


@pytest.fixture
def frameworks(db):
    call_command("load_framework", *map(str, sorted(FRAMEWORKS.glob("*.json"))), stdout=None)


@pytest.fixture
def logged_in(client):
    def run(user):
        client.force_login(user)
        return client

    return run


@pytest.fixture
def covered(assessment, judge, frameworks, today):
    """Acme's assessment with audit-log-access satisfied (ISO A.6.2.8 covered by it)."""
    judge(assessment.responses.get(item__code="audit-log-access"))
    return assessment


@pytest.mark.parametrize("role", ["security", "legal", "auditor", "ai_pm", "finance"])
def test_each_role_that_may_view_the_assessment_sees_its_coverage(
    logged_in, persona, covered, role
):
    response = logged_in(persona(role)).get(f"/vendors/assessments/{covered.pk}/coverage/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "ISO/IEC 42001:2023 Annex A" in page and "SOC 2 Trust Services Criteria" in page
    coverage = {c.framework.slug: c for c in response.context["coverages"]}
    row = next(r for r in coverage["iso-iec-42001"].rows if r.ref == "A.6.2.8")
    assert row.status == "covered"
    assert "audit-log-access satisfied (equal)" in page


@pytest.mark.parametrize("role", ["platform", "nobody"])
def test_a_role_that_may_not_view_the_assessment_is_refused(
    logged_in, persona, nobody, covered, role
):
    user = nobody if role == "nobody" else persona(role)
    client = logged_in(user)
    assert client.get(f"/vendors/assessments/{covered.pk}/coverage/").status_code == 403
    assert client.get(f"/vendors/assessments/{covered.pk}/coverage.csv").status_code == 403
    assert client.get("/vendors/acme/coverage/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, covered):
    response = client.get(f"/vendors/assessments/{covered.pk}/coverage/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_one_framework_can_be_chosen_and_an_unknown_one_is_a_404(logged_in, auditor, covered):
    client = logged_in(auditor)
    response = client.get(f"/vendors/assessments/{covered.pk}/coverage/?framework=eu-ai-act")
    assert [c.framework.slug for c in response.context["coverages"]] == ["eu-ai-act"]
    assert client.get(f"/vendors/assessments/{covered.pk}/coverage/?framework=x").status_code == 404


def test_the_csv_export_has_a_row_per_assessable_requirement(logged_in, legal, covered):
    response = logged_in(legal).get(
        f"/vendors/assessments/{covered.pk}/coverage.csv?framework=iso-iec-42001"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'coverage-assessment-{covered.pk}.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "framework",
        "version",
        "requirement",
        "title",
        "parent",
        "status",
        "until",
        "mapped items",
        "why",
    ]
    assert len(rows) == 1 + 38  # the 38 assessable Annex A controls
    logs = next(r for r in rows if r[2] == "A.6.2.8")
    assert logs[:6] == [
        "iso-iec-42001",
        "2023",
        "A.6.2.8",
        "Event logs recorded and kept",
        "A.6.2",
        "covered",
    ]
    assert logs[7] == "audit-log-access (equal, satisfied); per-request-tracing (subset, unmet)"
    assert next(r for r in rows if r[2] == "A.2.2")[5] == "gap"


def test_the_xlsx_export_has_the_same_rows(logged_in, auditor, covered):
    client = logged_in(auditor)
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/vendors/assessments/{covered.pk}/coverage.csv").content.decode()
            )
        )
    )
    response = client.get(f"/vendors/assessments/{covered.pk}/coverage.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    xlsx_rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == csv_rows
    assert len(xlsx_rows) == 1 + 38 + 26 + 37 + 44


def test_an_unknown_export_format_is_a_404(logged_in, auditor, covered):
    assert (
        logged_in(auditor).get(f"/vendors/assessments/{covered.pk}/coverage.pdf").status_code == 404
    )


def test_a_vendor_and_an_offering_lead_to_their_live_review(logged_in, security, vendor, covered):
    client = logged_in(security)
    response = client.get("/vendors/acme/coverage/")
    assert response.status_code == 302
    assert response["Location"] == f"/vendors/assessments/{covered.pk}/coverage/"
    offering = OfferingFactory(vendor=vendor)
    review = assessment_open(vendor=vendor, offering=offering, actor=security)
    response = client.get(f"/vendors/acme/offerings/{offering.pk}/coverage/")
    assert response["Location"] == f"/vendors/assessments/{review.pk}/coverage/"
    assert client.get("/vendors/nobody-here/coverage/").status_code == 404


def test_the_assessment_admin_page_links_to_its_coverage(logged_in, security, covered):
    page = logged_in(security).get(f"/admin/vendors/assessment/{covered.pk}/change/")
    assert page.status_code == 200
    assert f'href="/vendors/assessments/{covered.pk}/coverage/"' in page.content.decode()
