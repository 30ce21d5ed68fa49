"""Token login for API clients."""

import pytest

from tests.factories import PASSWORD

URL = "/api/v1/auth/token/"


@pytest.mark.django_db
def test_it_returns_a_token_for_good_credentials(api, ai_pm):
    response = api.post(URL, {"username": "ai_pm", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 64

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "ai_pm"
    assert me.json()["roles"] == ["ai_pm"]


@pytest.mark.django_db
def test_each_sign_in_returns_a_new_token(api, ai_pm):
    body = {"username": "ai_pm", "password": PASSWORD}
    first = api.post(URL, body, format="json").json()["token"]
    second = api.post(URL, body, format="json").json()["token"]
    assert first != second


@pytest.mark.django_db
def test_it_refuses_a_bad_password(api, ai_pm):
    response = api.post(URL, {"username": "ai_pm", "password": "wrong"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Unable to log in with the provided username and password."
    assert "token" not in body


@pytest.mark.django_db
def test_it_refuses_an_inactive_user(api, ai_pm):
    ai_pm.is_active = False
    ai_pm.save()
    response = api.post(URL, {"username": "ai_pm", "password": PASSWORD}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_it_reports_missing_fields_per_field(api):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"username", "password"}


@pytest.mark.django_db
def test_a_bogus_token_is_refused(api):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api.get("/api/v1/me/").status_code == 401
