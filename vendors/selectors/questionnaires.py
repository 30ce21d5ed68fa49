"""Reads of vendor questionnaires: the items a link asks, with their answers and files."""

from django.db.models import Count, Prefetch, Q, QuerySet

from vendors.choices import ProposedAnswerStatus
from vendors.models import ProposedAnswer, Questionnaire, Response


def questionnaire_items(questionnaire: Questionnaire) -> list[Response]:
    """The asked items in checklist order; each carries `answers` (newest first) with files."""
    answers = (
        ProposedAnswer.objects.filter(questionnaire=questionnaire)
        .prefetch_related("files")
        .order_by("-id")
    )
    return list(
        questionnaire.responses.select_related("item")
        .prefetch_related(Prefetch("proposals", queryset=answers, to_attr="answers"))
        .order_by("item__position", "item__code")
    )


def questionnaire_list() -> QuerySet[Questionnaire]:
    """Questionnaires with their vendor and how many answers wait for review."""
    return Questionnaire.objects.select_related("assessment__vendor", "sent_by").annotate(
        pending_count=Count("answers", filter=Q(answers__status=ProposedAnswerStatus.PROPOSED))
    )
