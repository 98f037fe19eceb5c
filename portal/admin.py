from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from portal.models import User


def _superusers_only(request: HttpRequest) -> bool:
    # `is_staff` marks the SaaS company's staff admins (set at OIDC login); the Django
    # admin is break-glass access for superusers only.
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
admin.site.site_header = "Organization Admin Portal (superusers)"


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "sub", "is_staff", "is_superuser", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "sub", "name")
    readonly_fields = ("sub", "last_login", "date_joined", "password")
    exclude = ("user_permissions",)
