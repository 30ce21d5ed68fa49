"""API v1 routes."""

from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from governance.api import (
    audit,
    benefits,
    checkpoints,
    copilot,
    finance,
    imports,
    measurements,
    model_switches,
    notifications,
    ops,
    packets,
    pilots,
    portfolio,
    signoffs,
    spend,
    tokens,
    users,
)

# Where Swagger UI's files come from (drf-spectacular's SWAGGER_UI_DIST): our own static files
# with the sidecar (settings), else a CDN, then allowed on this page only.
_dist = urlsplit(spectacular_settings.SWAGGER_UI_DIST)
SWAGGER_CDN = f"{_dist.scheme}://{_dist.netloc}" if _dist.netloc else "'self'"

router = SimpleRouter()
router.register("audit", audit.AuditEntryViewSet, basename="audit-entry")
router.register("signoffs", signoffs.SignOffViewSet, basename="signoff")
router.register("pilots", pilots.PilotViewSet, basename="pilot")
router.register("teams", pilots.TeamViewSet, basename="team")
router.register("metrics", pilots.MetricViewSet, basename="metric")
router.register("baselines", pilots.BaselineViewSet, basename="baseline")
router.register("kill-criteria", pilots.KillCriterionViewSet, basename="kill-criterion")
router.register("measurements", measurements.MeasurementViewSet, basename="measurement")
router.register("evaluations", checkpoints.EvaluationViewSet, basename="evaluation")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("spend", finance.SpendViewSet, basename="spend")
router.register("reviews", finance.ReviewViewSet, basename="review")
router.register("benefits", benefits.BenefitViewSet, basename="benefit")
router.register("packets", packets.PacketViewSet, basename="packet")
router.register("imports", imports.ImportRunViewSet, basename="import-run")
router.register("model-switches", model_switches.ModelSwitchViewSet, basename="model-switch")

urlpatterns = [
    path("auth/token/", tokens.TokenObtainView.as_view(), name="api-token"),
    path("auth/logout/", tokens.TokenLogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", tokens.TokenLogoutAllView.as_view(), name="api-logout-all"),
    path("me/", users.MeView.as_view(), name="api-me"),
    path("heartbeats/", ops.HeartbeatListView.as_view(), name="api-heartbeats"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script is served as a file (the split view), so this page needs
    # no inline script either.
    path(
        "docs/",
        csp_update({d: [SWAGGER_CDN] for d in ("script-src", "style-src", "img-src")})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path(
        "assessments/<int:pk>/approve/",
        signoffs.AssessmentApproveView.as_view(),
        name="assessment-approve",
    ),
    path(
        "shortlist/versions/<int:pk>/publish/",
        signoffs.ShortlistPublishView.as_view(),
        name="shortlist-publish",
    ),
    path("roi/calculate/", finance.RoiCalculateView.as_view(), name="roi-calculate"),
    path("roi/tier-cost/", finance.TierCostView.as_view(), name="roi-tier-cost"),
    path("roi/scope/", finance.ScopeRoiView.as_view(), name="roi-scope"),
    path("budget/", finance.BudgetLedgerView.as_view(), name="budget-ledger"),
    path("team-metrics/", imports.TeamMetricListView.as_view(), name="team-metrics"),
    path("spend/summary/", spend.SpendSummaryView.as_view(), name="spend-summary"),
    path("copilot/usage/", copilot.CopilotUsageView.as_view(), name="copilot-usage"),
    path("copilot/seats/", copilot.CopilotSeatsView.as_view(), name="copilot-seats"),
    path("portfolio/", portfolio.PortfolioView.as_view(), name="api-portfolio"),
    path("portfolio/funnel/", portfolio.FunnelView.as_view(), name="api-funnel"),
    path("packets/verify/", packets.PacketVerifyView.as_view(), name="packet-verify"),
    path("", include("vendors.api.urls")),
    *router.urls,
]
