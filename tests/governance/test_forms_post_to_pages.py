"""Every form on every page posts to a page route, never to an /api/ route (issue 16, item 2).

The pilot page's "Evaluate now" and the review page's "Sign as finance" once landed on DRF's
JSON page because page and API routes shared URL names. This walks every page each persona
can reach from their home on the seeded demo (one page per URL name) and reads every form.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import Resolver404, resolve

from governance.choices import Role

# Not pages: files, exports and the API (whose own forms are DRF's, not the site's).
NOT_PAGES = ("/api/", "/accounts/logout", "/static/", "/media/", "/favicon.ico")
NOT_PAGE_NAMES = ("download", "export", "file", "delete", "history", "logout", "autocomplete")
MAX_PAGES = 400


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), attrs.get("action") or ""))


def _page_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def walk(client, start: str = "/") -> tuple[dict[str, str], list[str]]:
    """Visit one page per URL name reachable from start; return pages seen and bad forms."""
    seen_names: dict[str, str] = {}
    queue, bad = [start], []
    while queue and len(seen_names) < MAX_PAGES:
        path = queue.pop(0)
        name = _page_name(path)
        if name is None or name in seen_names:
            continue
        seen_names[name] = path
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        for method, action in parser.forms:
            target = urlsplit(urljoin(path, action or path)).path
            if target.startswith("/api/"):
                bad.append(f"{path}: a {method} form posts to {target}")
        for href in parser.links:
            parts = urlsplit(urljoin(path, href))
            if parts.netloc and parts.netloc != "testserver":
                continue
            if parts.path.startswith(NOT_PAGES):
                continue
            found = _page_name(parts.path)
            if found and not any(word in found for word in NOT_PAGE_NAMES):
                queue.append(parts.path)
    return seen_names, bad


@pytest.mark.django_db
def test_every_form_on_every_page_posts_to_a_page_route(client):
    call_command("seed_demo", password="demo-pass-1")
    problems, visited = [], {}
    for role in Role.values:
        client.force_login(User.objects.get(username=role))
        seen, bad = walk(client)
        visited[role] = len(seen)
        problems += [f"{role}: {b}" for b in bad]
    print("pages walked per role:", visited)
    assert not problems, "\n".join(problems)
    # The walk really went somewhere: each role reaches its pages (and the admin roles more).
    assert all(n >= 5 for n in visited.values()), visited
    assert visited["security"] > 20, visited


@pytest.mark.django_db
def test_the_walk_finds_a_form_posting_to_the_api(client, security, settings, tmp_path):
    """The check itself: a page with a form posting to /api/ is reported."""
    from django.test import override_settings
    from django.urls import path

    from governance.config import urls as root

    def bad_page(request):
        from django.http import HttpResponse

        return HttpResponse('<form method="post" action="/api/v1/pilots/"></form>')

    module = type(root)("bad_urls")
    module.urlpatterns = [path("bad/", bad_page, name="bad-page"), *root.urlpatterns]
    import sys

    sys.modules["bad_urls"] = module
    with override_settings(ROOT_URLCONF="bad_urls"):
        client.force_login(security)
        _, bad = walk(client, "/bad/")
    assert bad == ["/bad/: a post form posts to /api/v1/pilots/"]
