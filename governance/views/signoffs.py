"""The sign-off queue: pilot charters waiting for one of my roles."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from governance.selectors.pilots import pilots_awaiting_signoff


@permission_required("governance.add_signoff", raise_exception=True)
def signoff_queue(request: HttpRequest) -> HttpResponse:
    """Submitted pilots waiting for my sign-off, with one-click sign."""
    return render(
        request,
        "governance/pilots/signoffs.html",
        {"pilots": pilots_awaiting_signoff(user=request.user)},
    )
