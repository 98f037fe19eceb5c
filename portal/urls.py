from django.contrib import admin
from django.urls import include, path

from portal import health, login, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("login/", login.login_view, name="login"),
    path("auth/callback", login.callback_view, name="auth_callback"),
    path("logout/", login.logout_view, name="logout"),
    path("admin/", admin.site.urls),
    path("orgs/", include("orgs.urls")),
    path("sso/", include("idp_selfservice.urls")),
]
