"""Finance API: calculators, measured ROI, spend, quarterly reviews; and who may use them."""

from datetime import date
from decimal import Decimal

import pytest

from governance.models import QuarterlyReview, Spend
from governance.services import benefits as bs
from governance.services import finance as fs
from tests.factories import make_pdf

WORKED_EXAMPLE = {
    "engineers": "1200",
    "prs_per_engineer_month": "3",
    "cycle_time_saving_hours": "0.8",
    "loaded_hourly_rate": "120",
    "annual_ai_spend": "1000000",
    "one_time_costs": "250000",
}


def test_roi_calculate_returns_every_intermediate_as_strings(api_as, finance):
    response = api_as(finance).post("/api/v1/roi/calculate/", WORKED_EXAMPLE, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["annual_pr_volume"] == "43200.00"
    assert body["time_savings"] == "4147200.00"
    assert set(body) >= {
        "annual_pr_volume",
        "hours_saved",
        "time_savings",
        "reviewer_savings",
        "total_benefit",
        "benefit_multiple",
        "net_roi",
        "monthly_net_savings",
        "payback_months",
    }
    assert all(isinstance(v, str) for v in body.values())
    assert body["payback_months"] == "0.95"  # 250,000 / 262,266.67


def test_roi_calculate_defaults_to_zero_and_needs_spend(api_as, ai_pm):
    client = api_as(ai_pm)
    response = client.post("/api/v1/roi/calculate/", {}, format="json")
    assert response.status_code == 400
    assert "annual_ai_spend" in response.json()["details"]
    response = client.post("/api/v1/roi/calculate/", {"annual_ai_spend": "0"}, format="json")
    assert response.status_code == 400
    body = client.post("/api/v1/roi/calculate/", {"annual_ai_spend": "10"}, format="json").json()
    assert body["payback_months"] is None
    assert "never recovered" in body["payback_note"]
    assert body["net_roi"] == "-1.0000"


def test_tier_cost_from_catalog_model_versions(api_as, finance):
    from tests.factories import ModelVersionFactory

    heavy = ModelVersionFactory(
        tier="heavy",
        price_input_per_mtok="5",
        price_cached_input_per_mtok="0.5",
        price_output_per_mtok="25",
    )
    body = {
        "model_versions": {"heavy": heavy.pk},
        "prices": {
            "fast": {
                "input_per_mtok": "0.1",
                "cached_input_per_mtok": "0.01",
                "output_per_mtok": "0.4",
            },
        },
        "mix": {
            "fast": {
                "share": "0.9",
                "input_tokens": "2000",
                "cached_input_tokens": "1000",
                "output_tokens": "300",
            },
            "heavy": {
                "share": "0.1",
                "input_tokens": "8000",
                "cached_input_tokens": "4000",
                "output_tokens": "2000",
            },
        },
    }
    response = api_as(finance).post("/api/v1/roi/tier-cost/", body, format="json")
    assert response.status_code == 200, response.json()
    # 0.9 * 0.00033 + 0.1 * 0.092 = 0.009497; all heavy 0.9 * 0.018 + 0.0092 = 0.0254.
    assert response.json()["blended_cost_per_request"] == "0.009497"
    assert response.json()["summary"].endswith("63% below an all-frontier baseline.")


def test_tier_cost_refuses_an_unknown_tier(api_as, finance):
    body = {"mix": {"ultra": {"share": "1", "input_tokens": "1", "output_tokens": "1"}}}
    response = api_as(finance).post("/api/v1/roi/tier-cost/", body, format="json")
    assert response.status_code == 400
    assert "Unknown tier" in response.json()["message"]


def test_scope_roi_for_a_pilot(api_as, ai_pm, ledger, rates, as_of):
    response = api_as(ai_pm).get(f"/api/v1/roi/scope/?pilot={ledger.pk}")
    assert response.status_code == 200, response.json()
    assert response.json()["audited"]["outputs"]["net_roi"] == "1.1000"
    program = api_as(ai_pm).get(f"/api/v1/roi/scope/?offering={ledger.offering_id}").json()
    assert program["audited"]["outputs"]["net_roi"] == "1.1000"


def test_spend_api_records_and_lists(api_as, finance, running_pilot):
    client = api_as(finance)
    body = {
        "month": "2027-02-01",
        "amount": "1500.00",
        "currency": "USD",
        "scope": "pilot",
        "pilot": running_pilot.pk,
        "vendor": running_pilot.offering.vendor.slug,
        "category": "seats",
    }
    first = client.post("/api/v1/spend/", body, format="json")
    assert first.status_code == 201, first.json()
    # The same month, pilot, vendor and category corrects the row rather than adding one.
    corrected = client.post("/api/v1/spend/", {**body, "amount": "1600"}, format="json")
    assert corrected.status_code == 201, corrected.json()
    assert corrected.json()["id"] == first.json()["id"]
    assert corrected.json()["amount"] == "1600.00"
    assert Spend.objects.get().amount == 1600
    bad = client.post("/api/v1/spend/", {**body, "month": "2027-02-02"}, format="json")
    assert bad.status_code == 400
    assert "first day" in bad.json()["message"]
    assert client.get("/api/v1/spend/?category=seats").json()["count"] == 1


def test_review_api_decide_sign_and_immutability(api_as, finance, ledger, rates, as_of):
    client = api_as(finance)
    body = {
        "quarter": "2027-Q2",
        "scope": "pilot",
        "pilot": ledger.pk,
        "decision": "hold",
        "rationale": "Keep measuring.",
        "estimates": {"other_audited_benefits": "5000"},
    }
    created = client.post("/api/v1/reviews/", body, format="json")
    assert created.status_code == 201, created.json()
    rid = created.json()["id"]
    assert created.json()["snapshot"]["roi"]["best"]["estimates"] == ["other_audited_benefits"]
    again = client.post("/api/v1/reviews/", body, format="json")
    assert again.status_code == 409
    assert "already has a live review" in again.json()["message"]
    signed = client.post(
        f"/api/v1/reviews/{rid}/sign/", {"role": "finance", "decision": "approve"}, format="json"
    )
    assert signed.json()["status"] == "signed"
    patched = client.patch(f"/api/v1/reviews/{rid}/", {"rationale": "Changed."}, format="json")
    assert patched.status_code == 400
    assert "cannot change" in patched.json()["message"]
    assert client.put(f"/api/v1/reviews/{rid}/", body, format="json").status_code == 405
    assert client.delete(f"/api/v1/reviews/{rid}/").status_code in (403, 405)
    assert QuarterlyReview.objects.get(pk=rid).rationale == "Keep measuring."
    correction = client.post(
        f"/api/v1/reviews/{rid}/supersede/",
        {"reason": "Wrong quarter's data.", "decision": "kill", "rationale": "Stop now."},
        format="json",
    )
    assert correction.status_code == 201, correction.json()
    assert correction.json()["supersedes"] == rid
    listed = client.get("/api/v1/reviews/?quarter=2027-Q2").json()
    assert {r["status"] for r in listed["results"]} == {"superseded", "decided"}


def test_a_signed_review_cannot_be_changed_in_the_admin(client, finance, decide):
    review = fs.review_sign(review=decide(), actor=finance, role="finance", decision="approve")
    client.force_login(finance)
    url = f"/admin/governance/quarterlyreview/{review.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["original"] == review
    assert b'name="rationale"' not in page.content  # shown read-only
    assert review.rationale.encode() in page.content
    client.post(url, {"rationale": "Rewritten.", "decision": "kill"})
    review.refresh_from_db()
    assert review.rationale.startswith("Savings hold")
    assert review.decision == "hold"
    delete = client.post(f"/admin/governance/quarterlyreview/{review.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert QuarterlyReview.objects.filter(pk=review.pk).exists()


FINANCE_FORBIDDEN = [
    # (role, method, url, body)
    ("nobody", "post", "/api/v1/roi/calculate/", {"annual_ai_spend": "1"}),
    ("nobody", "post", "/api/v1/roi/tier-cost/", {"mix": {}}),
    ("nobody", "get", "/api/v1/roi/scope/", None),
    ("nobody", "get", "/api/v1/budget/", None),
    ("nobody", "get", "/api/v1/benefits/", None),
    ("nobody", "get", "/api/v1/benefits/{benefit}/", None),
    ("ai_pm", "post", "/api/v1/benefits/", {"amount": "1"}),
    ("auditor", "post", "/api/v1/benefits/{benefit}/sign/", {"decision": "approve"}),
    ("nobody", "get", "/api/v1/spend/", None),
    ("nobody", "get", "/api/v1/spend/{spend}/", None),
    ("ai_pm", "post", "/api/v1/spend/", {"amount": "1"}),
    ("platform", "delete", "/api/v1/spend/{spend}/", None),
    ("nobody", "get", "/api/v1/reviews/", None),
    ("nobody", "get", "/api/v1/reviews/{review}/", None),
    ("ai_pm", "post", "/api/v1/reviews/", {"quarter": "2027-Q2"}),
    ("security", "patch", "/api/v1/reviews/{review}/", {"rationale": "x"}),
    ("ai_pm", "post", "/api/v1/reviews/{review}/sign/", {"role": "finance"}),
    ("security", "post", "/api/v1/reviews/{review}/supersede/", {"reason": "x"}),
]


@pytest.mark.parametrize(("role", "method", "url", "body"), FINANCE_FORBIDDEN)
def test_each_finance_route_refuses_a_role_without_access(
    api_as, persona, nobody, decide, role, method, url, body
):
    review = decide()
    benefit = bs.benefit_record(
        actor=persona("finance"),
        pilot=review.pilot,
        category="other",
        amount=Decimal(1),
        period_start=date(2027, 1, 1),
        period_end=date(2027, 1, 31),
        description="x",
        evidence=make_pdf(),
    )
    ids = {"review": review.pk, "spend": Spend.objects.first().pk, "benefit": benefit.pk}
    user = nobody if role == "nobody" else persona(role)
    response = getattr(api_as(user), method)(url.format(**ids), body, format="json")
    assert response.status_code == 403, response.content


def test_finance_pages_and_api_refuse_service_tokens(client, platform, decide):
    from governance.services.tokens import service_token_create

    decide()
    _, key = service_token_create(name="gateway", scopes=["shortlist:read"], actor=platform)
    response = client.get("/api/v1/reviews/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 403


def test_implausible_inputs_are_refused_not_a_server_error(api_as, finance):
    huge = "999999999999.999999"
    body = {name: huge for name in WORKED_EXAMPLE} | {"annual_ai_spend": "0.000001"}
    response = api_as(finance).post("/api/v1/roi/calculate/", body, format="json")
    assert response.status_code == 400
    assert "annual_ai_spend" in response.json()["details"]
    body["annual_ai_spend"] = "1"
    response = api_as(finance).post("/api/v1/roi/calculate/", body, format="json")
    assert response.status_code == 200  # every result stays exact, however large
