"""GET /api/v1/frameworks/ and GET /api/v1/assessments/{id}/coverage/: shape, validation, access."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = pytest.mark.django_db

FRAMEWORKS = Path(settings.BASE_DIR) / "vendors" / "frameworks"


@pytest.fixture
def frameworks(db):
    call_command("load_framework", *map(str, sorted(FRAMEWORKS.glob("*.json"))), stdout=None)


def test_it_lists_loaded_frameworks_with_counts(api_as, ai_pm, frameworks):
    response = api_as(ai_pm).get("/api/v1/frameworks/")
    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert set(rows) == {"eu-ai-act", "iso-iec-42001", "nist-ai-rmf", "soc2-tsc"}
    iso = rows["iso-iec-42001"]
    assert (iso["version"], iso["current"], iso["source"]) == ("2023", True, "tollgate")
    assert iso["requirement_count"] == 49
    assert iso["assessable_count"] == 38
    assert iso["mapped_count"] == 13


def test_coverage_of_one_framework(api_as, auditor, frameworks, assessment, judge, today):
    judge(assessment.responses.get(item__code="audit-log-access"))
    response = api_as(auditor).get(
        f"/api/v1/assessments/{assessment.pk}/coverage/", {"framework": "iso-iec-42001"}
    )
    assert response.status_code == 200, response.json()
    (body,) = response.json()
    assert (body["framework"], body["version"]) == ("iso-iec-42001", "2023")
    assert set(body["counts"]) == {"covered", "partial", "excepted", "gap"}
    rows = {row["ref"]: row for row in body["requirements"]}
    assert rows["A.6"]["status"] is None and rows["A.6"]["assessable"] is False
    logs = rows["A.6.2.8"]
    assert logs["status"] == "covered"
    assert logs["parent"] == "A.6.2" and logs["depth"] == 2
    assert logs["reasons"] == ["audit-log-access satisfied (equal)"]
    assert logs["items"][0] == {
        "item": "audit-log-access",
        "relationship": "equal",
        "state": "satisfied",
        "until": logs["until"],
        "problem": "",
    }


def test_coverage_of_every_current_framework_without_a_filter(
    api_as, finance, frameworks, assessment
):
    response = api_as(finance).get(f"/api/v1/assessments/{assessment.pk}/coverage/")
    assert response.status_code == 200
    assert [b["framework"] for b in response.json()] == [
        "eu-ai-act",
        "iso-iec-42001",
        "nist-ai-rmf",
        "soc2-tsc",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pci-dss", "No framework 'pci-dss' is loaded (loaded: eu-ai-act, iso-iec-42001"),
        ("not a slug!", "Enter a valid"),
        ("x" * 65, "no more than 64"),
    ],
)
def test_a_bad_framework_is_a_400_naming_the_problem(
    api_as, security, frameworks, assessment, value, message
):
    response = api_as(security).get(
        f"/api/v1/assessments/{assessment.pk}/coverage/", {"framework": value}
    )
    assert response.status_code == 400
    assert message in str(response.json())


def test_coverage_of_an_unknown_assessment_is_a_404(api_as, security):
    assert api_as(security).get("/api/v1/assessments/999999/coverage/").status_code == 404
