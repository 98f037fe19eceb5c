"""Applications (clients). Their URL arrays are replaced whole on PATCH, so adding or
removing one URL is read, change, write, read back, all under the client's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orgs.auth0.client import as_dict, auth0_call, management_client
from orgs.auth0.errors import Auth0Error
from orgs.auth0.locks import resource_lock

URL_FIELDS = ("callbacks", "allowed_logout_urls", "web_origins")
LOCK_WAIT = 2.0

URLs = dict[str, list[str]]
# Given the URLs the client has now, which to add and which to remove.
UrlPlan = Callable[[URLs], tuple[URLs, URLs]]


def get_client_urls(client_id: str) -> dict[str, list[str]]:
    with auth0_call():
        client = as_dict(
            management_client().clients.get(
                client_id, fields=",".join(("client_id", *URL_FIELDS)), include_fields=True
            )
        )
    return {field: list(client.get(field) or []) for field in URL_FIELDS}


def change_client_urls(client_id: str, *, plan: UrlPlan) -> URLs:
    """Add and remove URLs per field without losing anyone else's concurrent change.

    `plan` is called inside the client's lock, after the read: whatever it decides from
    (the portal's rows) is read there too, so two runs can never act on decisions made
    before one of them wrote."""
    # Holders keep it for three quick calls: waiting a little beats rescheduling.
    with resource_lock("client", client_id, wait=LOCK_WAIT) as lock:
        current = get_client_urls(client_id)
        add, remove = plan(current)
        wanted = {
            field: _apply(current[field], add.get(field, []), remove.get(field, []))
            for field in URL_FIELDS
        }
        changed = {field: urls for field, urls in wanted.items() if urls != current[field]}
        if changed:
            with auth0_call():
                management_client().clients.update(client_id, **changed)
            lock.verify()
            current = get_client_urls(client_id)
            if any(current[field] != urls for field, urls in changed.items()):
                raise Auth0Error(
                    "Application URLs did not read back as written; retrying.",
                    code="verify_failed",
                    retryable=True,
                )
        return current


def _apply(current: list[str], add: list[str], remove: list[str]) -> list[str]:
    result = [url for url in current if url not in remove]
    for url in add:  # one by one: two organizations may ask for the same URL
        if url not in result:
            result.append(url)
    return result


def list_clients() -> list[dict[str, Any]]:
    fields = "client_id,name,app_type,initiate_login_uri,organization_usage,is_first_party"
    with auth0_call():
        pager = management_client().clients.list(fields=fields, include_fields=True, per_page=100)
        return [as_dict(client) for client in pager]
