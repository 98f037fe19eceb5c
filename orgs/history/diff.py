"""Two versions compared field by field, in the words a person reads on the history
pages and in a restore's confirmation: "Display name: 'Acme' → 'Acme Inc'",
"Connection Username-Password-Authentication enabled", "Callback URL https://... added
on Acme App"."""

from __future__ import annotations

from typing import Any

from orgs.history.snapshot import BRANDING_FIELDS, FLAG_FIELDS, Snapshot, application_urls_of
from orgs.models.applications import UrlKind

EMPTY = "(empty)"
FIELD_WORDS = {
    "display_name": "Display name",
    "logo_url": "Logo URL",
    "primary_color": "Primary colour",
    "page_background_color": "Page background colour",
}
# The connections tab's own labels for Auth0's three flags.
FLAG_WORDS = {
    "assign_membership_on_login": "add members automatically",
    "show_as_button": "show on the login page",
    "is_signup_enabled": "allow sign-up",
}


def quoted(value: object) -> str:
    return f"'{value}'" if value not in (None, "") else EMPTY


def yes_no(value: object) -> str:
    return "yes" if value else "no"


def describe_changes(old: Snapshot, new: Snapshot) -> list[str]:
    """What changed from `old` to `new`, one line per change, settings first."""
    return [
        *_settings(old, new),
        *_metadata(old.get("metadata", {}), new.get("metadata", {})),
        *_connections(old.get("connections", {}), new.get("connections", {})),
        *_urls(old.get("application_urls", {}), new.get("application_urls", {})),
    ]


def _settings(old: Snapshot, new: Snapshot) -> list[str]:
    pairs = [("display_name", old.get("display_name", ""), new.get("display_name", ""))]
    old_branding, new_branding = old.get("branding", {}), new.get("branding", {})
    pairs += [(f, old_branding.get(f, ""), new_branding.get(f, "")) for f in BRANDING_FIELDS]
    return [
        f"{FIELD_WORDS[field]}: {quoted(before)} → {quoted(after)}"
        for field, before, after in pairs
        if before != after
    ]


def _metadata(old: dict[str, str], new: dict[str, str]) -> list[str]:
    lines = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            lines.append(f"Metadata {key}: {quoted(new[key])} added")
        elif key not in new:
            lines.append(f"Metadata {key} removed (was {quoted(old[key])})")
        elif old[key] != new[key]:
            lines.append(f"Metadata {key}: {quoted(old[key])} → {quoted(new[key])}")
    return lines


def _connections(old: dict[str, dict[str, bool]], new: dict[str, dict[str, bool]]) -> list[str]:
    lines = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            lines.append(f"Connection {name} enabled{_flag_list(new[name])}")
        elif name not in new:
            lines.append(f"Connection {name} disabled")
        else:
            lines += [
                f"Connection {name}: {FLAG_WORDS[flag]} {yes_no(old[name].get(flag))} → "
                f"{yes_no(new[name].get(flag))}"
                for flag in FLAG_FIELDS
                if bool(old[name].get(flag)) != bool(new[name].get(flag))
            ]
    return lines


def _flag_list(flags: dict[str, bool]) -> str:
    on = [FLAG_WORDS[flag] for flag in FLAG_FIELDS if flags.get(flag)]
    return f" ({', '.join(on)})" if on else ""


def _urls(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    for client_id in sorted(set(old) | set(new)):
        before, after = old.get(client_id, {}), new.get(client_id, {})
        application = after.get("name") or before.get("name") or client_id
        before_urls, after_urls = application_urls_of(before), application_urls_of(after)
        for kind in UrlKind:
            was, now = set(before_urls.get(kind, [])), set(after_urls.get(kind, []))
            lines += [f"{kind.label} {url} added on {application}" for url in sorted(now - was)]
            lines += [f"{kind.label} {url} removed from {application}" for url in sorted(was - now)]
    return lines


def summary(lines: list[str], *, limit: int = 3) -> str:
    """A version's change in one line for the list: the first few, then "and N more"."""
    if not lines:
        return "No change to the configuration"
    shown = "; ".join(lines[:limit])
    rest = len(lines) - limit
    return f"{shown}; and {rest} more" if rest > 0 else shown
