from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "orgs.monitoring"
    label = "monitoring"
    verbose_name = "Tenant checks, alerts and synthetic sign-in"
    default_auto_field = "django.db.models.BigAutoField"
