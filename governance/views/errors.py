"""Error pages in the site's look: 404 and 500, also under DEBUG for people (not developers)."""

from django.http import HttpRequest, HttpResponse
from django.template import loader

from governance.config.logging import request_id


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, naming the request id to quote to an administrator.

    Rendered without context processors: whatever broke (the database, a session) must not
    break the error page too.
    """
    body = loader.get_template("500.html").render({"request_id": request_id.get(None)})
    return HttpResponse(body, status=500)


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """The site's 404 or 500 page for a response Django's debug pages would otherwise show."""
    if status == 500:
        return server_error(request)
    body = loader.get_template("404.html").render({"request_path": request.path}, request)
    return HttpResponse(body, status=404)
