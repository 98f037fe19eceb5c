"""Forms of the user migration pages: the upload, a CSV's column mapping, and the
confirmation (roles, and what happens to users without a usable password).

Field names match the `field=` of the services' errors (`file`, `connection`, the mapping's
field keys, `roles`), so a ServiceError lands on the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from orgs.forms.tabs import TabForm
from orgs.models import Connection, Role
from orgs.usermigration.hashes import ALGORITHMS, ENCODINGS, SALT_POSITIONS
from orgs.usermigration.mapping import FIELDS, CsvMapping
from orgs.usermigration.reading import MAX_FILE_BYTES, MAX_USERS

EXISTING_REPORT = "report"
EXISTING_UPDATE = "update"
WITHOUT_HASH_LINK = "link"
WITHOUT_HASH_LEAVE_OUT = "leave_out"
NOT_IN_FILE = "Not in the file"
ENCODING_WORDS = {"hex": "Hex (0-9, a-f)", "base64": "Base64", "utf8": "Plain text (UTF-8)"}
POSITION_WORDS = {"prefix": "Before the password", "suffix": "After the password"}


class ConnectionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        connection: Connection = obj
        return connection.display_name or connection.name


class MigrationUploadForm(TabForm):
    file = forms.FileField(
        label="Users file",
        help_text=(
            "Auth0's bulk-import JSON file, or a CSV file with a header row (you match its "
            f"columns on the next page). At most {MAX_USERS:,} users."
        ),
        widget=forms.FileInput(attrs={"accept": ".json,.csv,application/json,text/csv"}),
        error_messages={"required": "Choose the file of users to import."},
    )
    connection = ConnectionChoice(
        queryset=Connection.objects.none(),
        label="Database connection",
        empty_label=None,
        help_text="The connection the users are imported into; they sign in with it.",
        error_messages={
            "required": "Choose the connection to import the users into.",
            "invalid_choice": "Choose one of this organization's own database connections.",
        },
    )
    existing = forms.ChoiceField(
        label="If someone is already a user of the connection",
        choices=[
            (EXISTING_REPORT, "Report it as a problem and leave them as they are"),
            (EXISTING_UPDATE, "Update them from the file"),
        ],
        initial=EXISTING_REPORT,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens to people who are already users."},
    )

    def __init__(self, *args: Any, connections: list[Connection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only_connection = connections[0] if len(connections) == 1 else None
        if len(connections) > 1:
            field: forms.ModelChoiceField = self.fields["connection"]  # type: ignore[assignment]
            field.queryset = Connection.objects.filter(pk__in=[c.pk for c in connections])
        else:
            # One connection (or none: the page refuses): nothing to choose.
            del self.fields["connection"]

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".json", ".csv")):
            raise forms.ValidationError(
                "Choose a .json or .csv file (in Excel: File > Save As > CSV UTF-8)."
            )
        if (upload.size or 0) > MAX_FILE_BYTES:
            megabytes = MAX_FILE_BYTES // (1024 * 1024)
            raise forms.ValidationError(
                f"The file is larger than {megabytes} MB: split it into smaller files."
            )
        return upload

    def chosen_connection(self) -> Connection | None:
        chosen: Connection | None = self.cleaned_data.get("connection")
        return chosen or self.only_connection

    def upsert(self) -> bool:
        return bool(self.cleaned_data["existing"] == EXISTING_UPDATE)


class MappingForm(TabForm):
    """One select of the file's headers per field, then the hash settings."""

    def __init__(self, *args: Any, headers: list[str], guess: CsvMapping, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        header_choices = [("", NOT_IN_FILE), *((header, header) for header in headers)]
        for mapped in FIELDS:
            self.fields[mapped.key] = forms.ChoiceField(
                label=mapped.label,
                help_text=mapped.help,
                choices=header_choices,
                required=False,
                initial=guess.column(mapped.key),
                error_messages={"invalid_choice": "Choose one of the file's columns."},
            )
        self.fields["algorithm"] = forms.ChoiceField(
            label="Hash algorithm for the whole file",
            help_text="Only when the file has no column naming each row's algorithm.",
            choices=[("", "None: the file has an algorithm column, or no hashes")]
            + [(name, name) for name in ALGORITHMS],
            required=False,
            initial=guess.algorithm,
        )
        self.fields["hash_encoding"] = _settings_choice(
            "How the hashes are written",
            "For md4, md5, sha1, sha256 and sha512 hashes; the others describe themselves.",
            ENCODING_WORDS,
            guess.hash_encoding,
        )
        self.fields["salt_encoding"] = _settings_choice(
            "How the salts are written", "", ENCODING_WORDS, guess.salt_encoding
        )
        self.fields["salt_position"] = _settings_choice(
            "Where the salt goes",
            "Whether the salt was put before or after the password when it was hashed.",
            POSITION_WORDS,
            guess.salt_position,
        )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[mapped.key] for mapped in FIELDS]

    def hash_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("algorithm", "hash_encoding", "salt_encoding")] + [
            self["salt_position"]
        ]

    def mapping(self) -> CsvMapping:
        data = self.cleaned_data
        return CsvMapping(
            columns={mapped.key: data[mapped.key] for mapped in FIELDS if data.get(mapped.key)},
            algorithm=data.get("algorithm", ""),
            hash_encoding=data.get("hash_encoding") or "hex",
            salt_encoding=data.get("salt_encoding") or "utf8",
            salt_position=data.get("salt_position") or "suffix",
        )


def _settings_choice(label: str, help_text: str, words: dict[str, str], initial: str) -> Any:
    allowed = ENCODINGS if words is ENCODING_WORDS else SALT_POSITIONS
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        choices=[(value, words[value]) for value in allowed],
        initial=initial,
        error_messages={"required": f"Choose {label.lower()}."},
    )


class ConfirmForm(TabForm):
    roles = forms.ModelMultipleChoiceField(
        # Every role, as the invitation form offers them to staff and customer admins alike.
        queryset=Role.objects.order_by("name"),
        to_field_name="name",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Roles",
        help_text="What every imported user may do in the organization. Leave all unticked "
        "to add them as members without a role.",
    )
    without_hash = forms.ChoiceField(
        label="Users without a usable password",
        choices=[
            (
                WITHOUT_HASH_LINK,
                "Import them without a password and email each a link to choose one",
            ),
            (WITHOUT_HASH_LEAVE_OUT, "Leave them out"),
        ],
        initial=WITHOUT_HASH_LINK,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens to users without a password."},
    )

    def __init__(self, *args: Any, rows_without_hash: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if rows_without_hash:
            self.fields["without_hash"].help_text = _without_hash_words(rows_without_hash)
        else:
            del self.fields["without_hash"]

    def role_names(self) -> list[str]:
        return sorted(role.name for role in self.cleaned_data["roles"])

    def send_password_links(self) -> bool:
        return self.cleaned_data.get("without_hash", WITHOUT_HASH_LINK) == WITHOUT_HASH_LINK


def _without_hash_words(count: int) -> str:
    if count == 1:
        return "1 user in the file has no password hash Auth0 can use."
    return f"{count:,} users in the file have no password hash Auth0 can use."
