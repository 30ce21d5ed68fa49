"""A user's in-app notifications."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from governance.models import Notification
from governance.services.notifications import notification_mark_read


def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications; POST marks one read."""
    mine = Notification.objects.filter(user=request.user)
    if request.method == "POST":
        target = mine.filter(pk=request.POST.get("id", "0") or 0).first()
        if target is not None:
            notification_mark_read(notification=target, user=request.user)
            messages.success(request, f"Marked “{target.title}” as read.")
        return redirect("notifications")
    return render(request, "governance/notifications.html", {"notifications": mine[:200]})
