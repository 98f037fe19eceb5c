"""The one way to do forms: Django forms rendered by our templates (GOV.UK patterns: an
error summary at the top linking to each field, the message beside the field), and service
errors shown on the field they are about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting

from orgs.services import ServiceError


class PortalFormRenderer(TemplatesSetting):
    """`{{ form }}` gives the error summary and every field; `{{ form.x.as_field_group }}`
    one field with its label, hint and error (templates/elements/form/). TemplatesSetting,
    so the project's templates directory is searched (widgets come from django.forms)."""

    form_template_name = "elements/form/form.html"
    field_template_name = "elements/form/field.html"


class AnnouncedErrors:
    """Errors that are announced: each invalid field names its error message in
    `aria-describedby`, and a ServiceError lands on the field it names."""

    fields: dict[str, forms.Field]

    def add_service_error(self, error: ServiceError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        describe_errors(self)  # type: ignore[arg-type]

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        describe_errors(self)  # type: ignore[arg-type]


class PortalForm(AnnouncedErrors, forms.Form):
    """The portal's form."""


class PortalModelForm(AnnouncedErrors, forms.ModelForm):
    """The portal's model form."""


def describe_errors(form: forms.BaseForm) -> None:
    """Point each invalid field's aria-describedby at its error message."""
    for name in form.errors:
        if name not in form.fields:
            continue
        field = form.fields[name]
        widget, auto_id = field.widget, form[name].auto_id
        error_id = f"{auto_id}_error"
        described = widget.attrs.get("aria-describedby", "").split()
        if not described and field.help_text:  # Django adds the hint only when unset
            described = [f"{auto_id}_helptext"]
        if error_id not in described:
            widget.attrs["aria-describedby"] = " ".join([*described, error_id])
