from django.contrib import admin
from django.urls import include, path

from idp_selfservice.views import setup_links
from orgs.api.api import api
from portal import health, login, metrics, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("login/", login.login_view, name="login"),
    path("auth/callback", login.callback_view, name="auth_callback"),
    path("logout/", login.logout_view, name="logout"),
    path("admin/", admin.site.urls),
    # Repository mode's deploys and commit history (orgs/repository/urls.py).
    path("orgs/", include("orgs.repository.urls")),
    path("orgs/", include("orgs.urls")),
    # User migration and export (orgs/usermigration/urls.py).
    path("orgs/", include("orgs.usermigration.urls")),
    path("sso/", include("idp_selfservice.urls")),
    path("signup/", include("orgs.signup.urls")),
    path("ops/auth0-logs/", include("orgs.auth0logs.urls")),
    path("ops/", include("orgs.monitoring.urls")),
    # A setup link's IT contact: open the link, the start page, leave.
    path("setup/", setup_links.contact_home, name="setup_link_home"),
    path("setup/leave", setup_links.leave, name="setup_link_leave"),
    path("setup/<str:token>", setup_links.open_link, name="setup_link_open"),
    path("api/v1/", api.urls),
]
