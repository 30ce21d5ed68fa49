"""The home page tells each role what it can do next."""

import re

import pytest

from governance.views.home import ROLE_GUIDE

# What each page linked from a home card must show: its <title>, the CSV header, the API list.
LINK_SHOWS = {
    "/admin/vendors/assessment/": "Select assessment to change | Tollgate",
    "/admin/vendors/vendor/": "Select vendor to change | Tollgate",
    "/admin/vendors/shortlistversion/": "Select shortlist version to change | Tollgate",
    "/admin/vendors/modelversion/": "Select model version to change | Tollgate",
    "/admin/governance/servicetoken/": "Select service token to change | Tollgate",
    "/admin/governance/workerheartbeat/": "Select worker heartbeat to view | Tollgate",
    "/admin/auditlog/logentry/": "Select log entry to view | Tollgate",
    "/pilots/": "Pilots · Tollgate",
    "/pilots/?mine=1": "Pilots · Tollgate",
    "/finance/": "Finance · Tollgate",
    "/pilots/new/": "Register a pilot · Tollgate",
    "/pilots/awaiting-signoff/": "Waiting for my sign-off · Tollgate",
    "/vendors/shortlist/": "Approved providers · Tollgate",
    "/packets/": "Packets · Tollgate",
    "/packets/verify/": "Verify a packet · Tollgate",
    "/api/v1/docs/": "Tollgate API",
    "/api/v1/vendors/": "JSON list",
    "/audit/export.csv": "timestamp,action,model,object_pk,object_repr,actor,changes",
}


def _what_it_shows(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode().splitlines()[0]
    if response["Content-Type"].startswith("application/json"):
        return "JSON list" if "results" in response.json() else "JSON"
    title = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    return " ".join(title.group(1).split()) if title else ""


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_GUIDE))
def test_each_role_sees_its_next_steps(client, persona, role):
    client.force_login(persona(role))
    response = client.get("/")
    assert response.status_code == 200
    assert ROLE_GUIDE[role]["summary"].split(",")[0] in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_GUIDE))
def test_every_link_on_a_roles_home_opens_for_that_role(client, persona, role):
    client.force_login(persona(role))
    links = client.get("/").context["cards"][0]["links"]
    assert links
    for _, url in links:
        response = client.get(url)
        assert response.status_code == 200, url
        assert url in LINK_SHOWS, f"say what {url} must show"
        assert _what_it_shows(response) == LINK_SHOWS[url], url


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_how_to_get_one(client, nobody):
    client.force_login(nobody)
    assert "You have no Tollgate role yet" in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_admin_is_branded(client, security):
    client.force_login(security)
    assert "Tollgate administration" in client.get("/admin/").content.decode()
