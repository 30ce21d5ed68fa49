"""Vendor page routes."""

from django.urls import path

from vendors import views

app_name = "vendors"
urlpatterns = [
    path("evidence/<int:pk>/download/", views.evidence_file, name="evidence-download"),
    path("shortlist/", views.shortlist_current, name="shortlist"),
    path("shortlist/v<int:number>/", views.shortlist_version, name="shortlist-version"),
    path("shortlist/diff/", views.shortlist_diff, name="shortlist-diff"),
]
