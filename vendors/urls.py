"""Vendor page routes."""

from django.urls import path

from vendors import views

app_name = "vendors"
urlpatterns = [
    path("evidence/<int:pk>/download/", views.evidence_file, name="evidence-download"),
    path("shortlist/", views.shortlist_current, name="shortlist"),
    path("shortlist/v<int:number>/", views.shortlist_version, name="shortlist-version"),
    path("shortlist/diff/", views.shortlist_diff, name="shortlist-diff"),
    path("assessments/<int:pk>/coverage/", views.assessment_coverage, name="assessment-coverage"),
    path(
        "assessments/<int:pk>/coverage.<str:fmt>",
        views.assessment_coverage_export,
        name="assessment-coverage-export",
    ),
    path("<slug:slug>/coverage/", views.subject_coverage, name="vendor-coverage"),
    path(
        "<slug:slug>/offerings/<int:offering>/coverage/",
        views.subject_coverage,
        name="offering-coverage",
    ),
]
