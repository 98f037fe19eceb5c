from django.apps import AppConfig


class SignupConfig(AppConfig):
    name = "orgs.signup"
    label = "signup"
    verbose_name = "Self sign-up"
    default_auto_field = "django.db.models.BigAutoField"
