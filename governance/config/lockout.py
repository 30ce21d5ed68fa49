"""The answer to a locked-out sign-in (django-axes): HTTP 429 with Retry-After.

The API gets its one error shape; pages get the sign-in page's plain message. Both say how long
the lock lasts, and neither says whether the password was right.
"""

import math

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """Refuse a sign-in during its cool-off, telling the client when to try again."""
    cool_off = get_cool_off(request)
    seconds = max(1, math.ceil(cool_off.total_seconds())) if cool_off else 0
    minutes = max(1, math.ceil(seconds / 60))
    message = (
        f"Too many failed sign-ins for this account from this address; try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"message": message, "details": {}}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
