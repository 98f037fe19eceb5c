from django.apps import AppConfig


class UserMigrationConfig(AppConfig):
    name = "orgs.usermigration"
    label = "usermigration"
    verbose_name = "User migration"
    default_auto_field = "django.db.models.BigAutoField"
