"""Root URL configuration."""

from allauth.account.views import AccountInactiveView
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from governance.views import (
    audit,
    finance,
    health,
    home,
    notifications,
    packets,
    pilots,
    portfolio,
    signoffs,
    sources,
)
from governance.views.signin import SignInView, local_passwords_required

# Django's login and password pages (the password ones only while local passwords are on),
# then allauth's single sign-on: its social-account pages and one callback per protocol.
# allauth's own local-account pages (signup, e-mail, its password reset) are never routed.
signin = SignInView.as_view()
accounts = [
    path("login/", signin, name="login"),
    # allauth sends people here (a cancelled or failed SSO sign-in): the same login page.
    path("login/", signin, name="account_login"),
    path("login/", signin, name="account_signup"),
    path("inactive/", AccountInactiveView.as_view(), name="account_inactive"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *[
        path(route, local_passwords_required(view.as_view()), name=name)
        for route, view, name in [
            ("password_change/", auth_views.PasswordChangeView, "password_change"),
            ("password_change/done/", auth_views.PasswordChangeDoneView, "password_change_done"),
            ("password_reset/", auth_views.PasswordResetView, "password_reset"),
            ("password_reset/done/", auth_views.PasswordResetDoneView, "password_reset_done"),
            (
                "reset/<uidb64>/<token>/",
                auth_views.PasswordResetConfirmView,
                "password_reset_confirm",
            ),
            ("reset/done/", auth_views.PasswordResetCompleteView, "password_reset_complete"),
        ]
    ],
    path("sso/", include("allauth.socialaccount.urls")),
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("", include("allauth.socialaccount.providers.saml.urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("me/work-count/", home.work_count_page, name="work-count"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every page that names none (the admin's).
    path("favicon.ico", login_not_required(home.favicon), name="favicon"),
    path("readyz", health.readyz, name="readyz"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("pilots/", pilots.pilot_list, name="pilots"),
    path("pilots/new/", pilots.pilot_register, name="pilot-register"),
    path("pilots/awaiting-signoff/", signoffs.signoff_queue, name="signoff-queue"),
    path("pilots/<int:pk>/", pilots.pilot_detail, name="pilot-page"),
    path("rows/<slug:scope>/<int:pk>/<slug:source>/", sources.rows_page, name="rows"),
    path(
        "pilots/<int:pk>/charts/<int:metric_id>/<slug:tier>.svg",
        pilots.pilot_chart,
        name="pilot-page-chart",
    ),
    path("pilots/<int:pk>/baselines/", pilots.pilot_add_baseline, name="pilot-baseline"),
    path(
        "pilots/<int:pk>/kill-criteria/",
        pilots.pilot_add_kill_criterion,
        name="pilot-kill-criterion",
    ),
    path("pilots/<int:pk>/sign/", pilots.pilot_sign, name="pilot-sign"),
    path(
        "pilots/<int:pk>/compute-baselines/",
        pilots.pilot_compute_baselines,
        name="pilot-baselines-compute",
    ),
    path("pilots/<int:pk>/evaluate/", pilots.pilot_evaluate, name="pilot-page-evaluate"),
    path("pilots/<int:pk>/controls/", pilots.pilot_set_controls, name="pilot-set-controls"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("finance/", finance.finance_home, name="finance"),
    path("finance/decide/", finance.review_decide_page, name="review-decide"),
    path("finance/reviews/<int:pk>/", finance.review_page, name="review-page"),
    path("finance/reviews/<int:pk>/sign/", finance.review_sign_page, name="review-page-sign"),
    path(
        "finance/reviews/<int:pk>/supersede/",
        finance.review_supersede_page,
        name="review-page-supersede",
    ),
    path("finance/portfolio/", portfolio.portfolio_page, name="portfolio"),
    path("finance/portfolio/rows/", portfolio.portfolio_rows_page, name="portfolio-rows"),
    path(
        "finance/portfolio/spend/<slug:dimension>/",
        portfolio.portfolio_spend_page,
        name="portfolio-spend",
    ),
    path(
        "finance/portfolio/charts/<slug:dimension>.svg",
        portfolio.portfolio_chart,
        name="portfolio-chart",
    ),
    path(
        "finance/portfolio/outcomes/",
        portfolio.portfolio_outcomes_page,
        name="portfolio-outcomes",
    ),
    path(
        "finance/portfolio/export.<str:fmt>",
        portfolio.portfolio_export,
        name="portfolio-export",
    ),
    path("finance/portfolio/packet/", portfolio.portfolio_packet_page, name="portfolio-packet"),
    path("portfolio/funnel/", portfolio.funnel_page, name="funnel"),
    path("portfolio/funnel/export.<str:fmt>", portfolio.funnel_export, name="funnel-export"),
    path("packets/", packets.packet_list, name="packets"),
    path("packets/request/", packets.packet_request_page, name="packet-request-page"),
    path("packets/verify/", packets.packet_verify_page, name="packets-verify"),
    path("packets/<int:pk>/", packets.packet_detail, name="packet-page"),
    path("packets/<int:pk>/retry/", packets.packet_retry_page, name="packet-retry-page"),
    path("packets/<int:pk>/download/", packets.packet_file, name="packet-file"),
    path("pilots/<int:pk>/<slug:step>/", pilots.pilot_step, name="pilot-step"),
    path("accounts/", include(accounts)),
    path("vendors/", include("vendors.urls")),
    # A vendor contact's questionnaire link: no account, the token in the path is the key.
    path("questionnaire/", include("vendors.questionnaire_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.api.urls")),
]

handler500 = "governance.views.errors.server_error"
