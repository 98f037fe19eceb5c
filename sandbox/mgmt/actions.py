"""`GET /api/v2/actions/actions`: the tenant's actions.

The sandbox runs no actions, so the list is empty unless something was stored in
`state.scratch["actions"]` (a test may); the body has Auth0's paging shape
(`{actions, total, page, per_page}`, `per_page` default 20) whatever is asked. Clients
such as auth0-deploy-cli read it while handling database connections.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from sandbox.routing import Call, json_response, mgmt_route
from sandbox.state import JSON

from .schema_check import Schema, validate_query

DEFAULT_PER_PAGE = 20
TRIGGERS = [
    "post-login",
    "credentials-exchange",
    "pre-user-registration",
    "post-user-registration",
    "post-change-password",
    "send-phone-message",
    "custom-phone-provider",
    "custom-email-provider",
    "password-reset-post-challenge",
    "custom-token-exchange",
    "event-stream",
    "password-hash-migration",
    "login-post-identifier",
    "signup-post-identifier",
]
LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "triggerId": {"type": "string", "enum": TRIGGERS},
        "deployed": {"type": "string", "enum": ["true", "false"]},
        "installed": {"type": "string", "enum": ["true", "false"]},
    },
}


def _matches(call: Call, action: JSON) -> bool:
    trigger = call.args.get("triggerId")
    if trigger and trigger not in [t.get("id") for t in action.get("supported_triggers", [])]:
        return False
    name = call.args.get("actionName")
    return not name or action.get("name") == name


@mgmt_route("GET", "/actions/actions", scope="read:actions", description="Get actions")
def list_actions(call: Call) -> Response:
    validate_query(call.args.to_dict(), LIST_QUERY)
    page = call.query_int("page", 0, minimum=0) or 0
    per_page = call.query_int("per_page", DEFAULT_PER_PAGE, minimum=1, maximum=100)
    assert per_page is not None
    stored: dict[str, JSON] = call.state.ns("actions")
    actions = [a for a in stored.values() if _matches(call, a)]
    window = actions[page * per_page : (page + 1) * per_page]
    return json_response(
        {"actions": window, "total": len(actions), "page": page, "per_page": per_page}
    )
