"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from governance import views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("vendors/", include("vendors.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.api.urls")),
]
