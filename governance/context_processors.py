"""What every page's header shows: the count of things waiting for the signed-in user."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def work_count(request: HttpRequest) -> dict:
    """The header badge's count, read only if the page shows it (the admin's pages do not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        from governance.selectors.work_queue import work_count

        return work_count(user=user)

    return {"work_count": SimpleLazyObject(count)}
