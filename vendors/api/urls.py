"""Vendor API routes (mounted under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from vendors.api import views

router = SimpleRouter()
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("offerings", views.OfferingViewSet, basename="offering")
router.register("model-versions", views.ModelVersionViewSet, basename="model-version")
router.register("frameworks", views.FrameworkViewSet, basename="framework")
router.register("checklist-items", views.ChecklistItemViewSet, basename="checklist-item")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("responses", views.ResponseViewSet, basename="response")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("exceptions", views.ExceptionViewSet, basename="exception")
router.register("shortlist/versions", views.ShortlistVersionViewSet, basename="shortlist-version")
router.register("shortlist/entries", views.ShortlistEntryViewSet, basename="shortlist-entry")
urlpatterns = [
    path("shortlist/current/", views.ShortlistCurrentView.as_view(), name="shortlist-current"),
    path("shortlist/check/", views.ShortlistCheckView.as_view(), name="shortlist-check"),
    *router.urls,
]
