from django.apps import AppConfig


class Auth0LogsConfig(AppConfig):
    name = "orgs.auth0logs"
    label = "auth0logs"
    verbose_name = "Auth0 log archive"
    default_auto_field = "django.db.models.BigAutoField"
