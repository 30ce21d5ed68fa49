"""Error pages in the site's look: 403, 404 and 500, with DEBUG off and (for people) on."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from governance.config.urls import urlpatterns as site_urls


def _boom(request):
    raise RuntimeError("a bug")


def _refused(request):
    raise PermissionDenied


urlpatterns = [
    *site_urls,
    path("test-boom/", _boom),
    path("test-refused/", _refused),
]
handler500 = "governance.views.errors.server_error"


@pytest.fixture
def broken_site(settings):
    """The site's URLs plus a page that fails and one that refuses everyone."""
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def _looks_like_the_site(html: str) -> None:
    assert "governance/favicon.svg" in html  # base.html's head: the site's look
    assert "Back to your home page" in html
    assert "Traceback" not in html
    assert "Django tried these URL patterns" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_it_shows_the_sites_404_page(client, ai_pm, settings, debug):
    settings.DEBUG = debug
    client.force_login(ai_pm)
    response = client.get("/pilots/no-such-page/here/")
    assert response.status_code == 404
    html = response.content.decode()
    _looks_like_the_site(html)
    assert "Page not found" in html
    assert "/pilots/no-such-page/here/" in html


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_it_shows_the_sites_500_page_with_a_reference(broken_site, ai_pm, settings, debug):
    settings.DEBUG = debug
    broken_site.force_login(ai_pm)
    response = broken_site.get("/test-boom/", HTTP_X_REQUEST_ID="req-abc123")
    assert response.status_code == 500
    html = response.content.decode()
    _looks_like_the_site(html)
    assert "Something went wrong on our side" in html
    assert "req-abc123" in html
    assert "a bug" not in html


@pytest.mark.django_db
def test_it_shows_the_sites_403_page(broken_site, ai_pm):
    broken_site.force_login(ai_pm)
    response = broken_site.get("/test-refused/")
    assert response.status_code == 403
    html = response.content.decode()
    _looks_like_the_site(html)
    assert "You may not do this" in html


@pytest.mark.django_db
def test_superusers_keep_the_debug_pages_under_debug(client, settings, django_user_model):
    settings.DEBUG = True
    client.force_login(django_user_model.objects.create_superuser("dev", "d@example.com", "x"))
    response = client.get("/pilots/no-such-page/here/")
    assert response.status_code == 404
    assert "Django tried these URL patterns" in response.content.decode()


@pytest.mark.django_db
def test_the_api_keeps_its_json_404_under_debug(api_as, ai_pm, settings):
    settings.DEBUG = True
    response = api_as(ai_pm).get("/api/v1/pilots/999999/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "message" in response.json()


@pytest.mark.django_db
def test_an_expired_form_says_so_in_the_sites_look(ai_pm):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ai_pm)
    response = client.post("/pilots/new/", {})
    assert response.status_code == 403
    html = response.content.decode()
    _looks_like_the_site(html)
    assert "This form has expired" in html
