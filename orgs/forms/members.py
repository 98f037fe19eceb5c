"""Forms of a member's page: the role to add and the role to remove.

The field is called `role`, as the services' errors name it, so a ServiceError lands on
it (PortalForm.add_service_error). The page holds both forms, told apart by prefix
(field ids `id_add-role` and `id_remove-role`), so the error summary links to the right one."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms

from orgs.models import Role
from portal.forms import PortalForm

ADD_PREFIX = "add"
REMOVE_PREFIX = "remove"


class MemberRoleForm(PortalForm):
    role = forms.ModelChoiceField(
        queryset=Role.objects.none(),
        to_field_name="name",
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the roles in the list."},
    )

    def __init__(self, *args: Any, role_names: Collection[str], label: str, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Role.objects.filter(name__in=role_names).order_by("name")
        field.label = label

    def role_name(self) -> str:
        role: Role = self.cleaned_data["role"]
        return role.name


def role_forms(
    data: Any = None,
    *,
    held: Collection[str],
    which: str = "",
) -> tuple[MemberRoleForm, MemberRoleForm]:
    """(add, remove) for a member holding `held`; `data` binds the one named `which`."""
    others = set(Role.objects.values_list("name", flat=True)) - set(held)
    add = MemberRoleForm(
        data if which == ADD_PREFIX else None,
        role_names=others,
        label="Role to add",
        prefix=ADD_PREFIX,
    )
    remove = MemberRoleForm(
        data if which == REMOVE_PREFIX else None,
        role_names=held,
        label="Role to remove",
        prefix=REMOVE_PREFIX,
    )
    return add, remove
