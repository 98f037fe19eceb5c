from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from orgs.usermigration.field_words import field_words
from orgs.usermigration.models import UserMigration

register = template.Library()


@register.filter
def in_file_words(field: str, migration: UserMigration) -> SafeString:
    """{{ error.field|in_file_words:migration }}: a CSV's column as its header reads, or a
    JSON file's field path as code."""
    words = field_words(migration, field)
    return format_html("{}", words) if words != field else format_html("<code>{}</code>", field)
