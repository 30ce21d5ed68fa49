"""Pages under a questionnaire link, for a vendor contact without an account.

Every view is wrapped by `link_view`: it checks the token on each request (answer and upload
posts included), audits the access, and answers 404 for an unknown token and 410 for an
expired or revoked one. The token opens only these routes: it is no session and no API
credential, so it gives nothing anywhere else.
"""

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from vendors.models import Questionnaire
from vendors.selectors.questionnaires import questionnaire_items
from vendors.services.questionnaires import (
    QuestionnaireLinkError,
    answer_attach_file,
    answer_propose,
    questionnaire_access,
)

CLOSED_STATUS = {"unknown": 404, "expired": 410, "revoked": 410}


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: no Referer may carry it off-site, no cache may keep the page.
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on the
    # page's own form posts, which Django's CSRF check rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def link_view(route: str) -> Callable:
    """Open the questionnaire named by the URL's token for the view, or show why not."""

    def decorate(view: Callable) -> Callable:
        @login_not_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, token: str, **kwargs) -> HttpResponse:
            try:
                questionnaire = questionnaire_access(
                    token=token,
                    route=route,
                    remote_addr=request.META.get("REMOTE_ADDR"),
                    **{k: v for k, v in kwargs.items() if k == "response_id"},
                )
            except QuestionnaireLinkError as error:
                page = render(
                    request,
                    "vendors/questionnaire_closed.html",
                    {"reason": error.reason, "questionnaire": error.questionnaire},
                    status=CLOSED_STATUS[error.reason],
                )
                return _private(page)
            return _private(view(request, questionnaire, token=token, **kwargs))

        return wrapper

    return decorate


def _page(
    request: HttpRequest, questionnaire: Questionnaire, token: str, *, errors=None, status=200
) -> HttpResponse:
    return render(
        request,
        "vendors/questionnaire.html",
        {
            "questionnaire": questionnaire,
            "token": token,
            "items": questionnaire_items(questionnaire),
            "errors": errors or {},
        },
        status=status,
    )


def _back_to_item(token: str, response_id: int) -> HttpResponse:
    return redirect(reverse("questionnaire:page", args=[token]) + f"#item-{response_id}")


@require_GET
@link_view("page")
def questionnaire_page(request: HttpRequest, questionnaire: Questionnaire, token: str):
    """The asked items, their guidance and the evidence each needs, with answer forms."""
    return _page(request, questionnaire, token)


def _refused(request, questionnaire, token, response_id: int, error: ValidationError):
    return _page(request, questionnaire, token, errors={response_id: error.messages}, status=400)


@require_POST
@link_view("answer")
def questionnaire_answer(
    request: HttpRequest, questionnaire: Questionnaire, token: str, response_id: int
):
    """Propose an answer to one item."""
    try:
        answer_propose(
            questionnaire=questionnaire,
            response_id=response_id,
            answer=request.POST.get("answer", ""),
        )
    except QuestionnaireLinkError:
        return redirect("questionnaire:page", token=token)
    except ValidationError as error:
        return _refused(request, questionnaire, token, response_id, error)
    messages.success(request, "Answer sent for review.")
    return _back_to_item(token, response_id)


@require_POST
@link_view("upload")
def questionnaire_upload(
    request: HttpRequest, questionnaire: Questionnaire, token: str, response_id: int
):
    """Attach a file to one item's answer, checked like staff evidence."""
    upload = request.FILES.get("file")
    if upload is None:
        return _refused(
            request, questionnaire, token, response_id, ValidationError("Choose a file to send.")
        )
    try:
        attached = answer_attach_file(
            questionnaire=questionnaire, response_id=response_id, uploaded_file=upload
        )
    except QuestionnaireLinkError:
        return redirect("questionnaire:page", token=token)
    except ValidationError as error:
        return _refused(request, questionnaire, token, response_id, error)
    messages.success(request, f"{attached.original_name} attached for review.")
    return _back_to_item(token, response_id)
