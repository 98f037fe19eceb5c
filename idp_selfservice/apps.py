from django.apps import AppConfig


class IdpSelfserviceConfig(AppConfig):
    name = "idp_selfservice"
    verbose_name = "Identity provider self-service"
