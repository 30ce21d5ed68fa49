"""Server errors schemathesis found; each is now a 4xx with the API's error shape."""

import pytest

from tests.factories import OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(api_as, persona):
    user = persona("platform")
    user.is_superuser = True
    user.save()
    return api_as(user)


def test_deleting_a_vendor_with_offerings_is_refused_not_a_500(admin_api, vendor):
    OfferingFactory(vendor=vendor)
    response = admin_api.delete("/api/v1/vendors/acme/")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Acme AI has offerings, model versions, assessments or a status history; retire it instead."
    )


def test_a_malformed_evidence_id_is_a_404(admin_api):
    assert admin_api.get("/api/v1/evidence/null,null/download/").status_code == 404


def test_an_absurd_expiry_window_is_a_400(admin_api):
    response = admin_api.get("/api/v1/responses/?expiring_within=-3.6e16")
    assert response.status_code == 400
    assert "expiring_within" in response.json()["details"]


def test_a_re_review_interval_beyond_ten_years_is_refused(admin_api):
    response = admin_api.patch("/api/v1/checklist-items/1/", {"rereview_days": 10**9})
    assert response.status_code == 400
    assert "rereview_days" in response.json()["details"]


def test_a_zero_re_review_interval_is_refused_by_the_service(admin_api):
    response = admin_api.patch("/api/v1/checklist-items/1/", {"rereview_days": 0})
    assert response.status_code == 400


def test_an_empty_verdict_patch_is_a_400(admin_api, assessment):
    rid = assessment.responses.first().pk
    response = admin_api.patch(f"/api/v1/responses/{rid}/", {}, format="json")
    assert response.status_code == 400


def test_a_diff_against_a_non_number_is_a_400(api_as, legal, published):
    for against in ("²", "99999999999999999999", "-1"):
        response = api_as(legal).get(
            f"/api/v1/shortlist/versions/{published.pk}/diff/?against={against}"
        )
        assert response.status_code == 400, against


def test_a_value_the_database_refuses_is_a_400_not_a_500():
    from django.db import DataError

    from governance.api.errors import exception_handler

    response = exception_handler(DataError("text fields cannot contain NUL (0x00) bytes"), {})
    assert response.status_code == 400
    assert response.data == {
        "message": "The request contains a value the database cannot store or look up.",
        "details": {},
    }


def test_a_nul_byte_in_a_slug_lookup_is_a_400(api_as, security, published):
    response = api_as(security).post(
        "/api/v1/shortlist/entries/",
        {"version": published.pk, "vendor": "a\x00b", "role": "other"},
        format="json",
    )
    assert response.status_code == 400
