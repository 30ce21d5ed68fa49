"""The home page tells each role what it can do next."""

import pytest

from governance.views.home import ROLE_GUIDE


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
    for _, url in client.get("/").context["cards"][0]["links"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_how_to_get_one(client, nobody):
    client.force_login(nobody)
    assert "You have no Tollgate role yet" in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_admin_is_branded(client, security):
    client.force_login(security)
    assert "Tollgate administration" in client.get("/admin/").content.decode()
