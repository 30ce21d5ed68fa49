"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from governance import finance_views, packet_views, pilot_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("pilots/", pilot_views.pilot_list, name="pilots"),
    path("pilots/new/", pilot_views.pilot_register, name="pilot-register"),
    path("pilots/awaiting-signoff/", pilot_views.signoff_queue, name="signoff-queue"),
    path("pilots/<int:pk>/", pilot_views.pilot_detail, name="pilot-page"),
    path("pilots/<int:pk>/baselines/", pilot_views.pilot_add_baseline, name="pilot-baseline"),
    path(
        "pilots/<int:pk>/kill-criteria/",
        pilot_views.pilot_add_kill_criterion,
        name="pilot-kill-criterion",
    ),
    path("pilots/<int:pk>/sign/", pilot_views.pilot_sign, name="pilot-sign"),
    path("pilots/<int:pk>/evaluate/", pilot_views.pilot_evaluate, name="pilot-evaluate"),
    path("notifications/", pilot_views.notification_list, name="notifications"),
    path("finance/", finance_views.finance_home, name="finance"),
    path("finance/decide/", finance_views.review_decide_page, name="review-decide"),
    path("finance/reviews/<int:pk>/", finance_views.review_page, name="review-page"),
    path("finance/reviews/<int:pk>/sign/", finance_views.review_sign_page, name="review-sign"),
    path(
        "finance/reviews/<int:pk>/supersede/",
        finance_views.review_supersede_page,
        name="review-supersede",
    ),
    path("packets/", packet_views.packet_list, name="packets"),
    path("packets/request/", packet_views.packet_request_page, name="packet-request-page"),
    path("packets/verify/", packet_views.packet_verify_page, name="packets-verify"),
    path("packets/<int:pk>/", packet_views.packet_detail, name="packet-page"),
    path("packets/<int:pk>/retry/", packet_views.packet_retry_page, name="packet-retry-page"),
    path("packets/<int:pk>/download/", packet_views.packet_file, name="packet-file"),
    path("pilots/<int:pk>/<slug:step>/", pilot_views.pilot_step, name="pilot-step"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("vendors/", include("vendors.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.api.urls")),
]
