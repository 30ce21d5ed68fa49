"""Vendor page routes."""

from django.urls import path

from vendors import views

app_name = "vendors"
urlpatterns = [
    path("evidence/<int:pk>/download/", views.evidence_file, name="evidence-download"),
]
