"""The test provider's routes: sign-in page, OAuth 2 / OIDC endpoints under /o/, admin."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.oidc_idp import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="idp/login.html"), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/users/", views.admin_user),
    path("admin/clients/", views.admin_client),
]
