from django.apps import AppConfig


class OrgRepositoryConfig(AppConfig):
    name = "orgs.repository"
    label = "org_repository"
    verbose_name = "Organization config repository"
    default_auto_field = "django.db.models.BigAutoField"
