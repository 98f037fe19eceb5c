"""Check sandbox responses against Auth0's published OpenAPI documents.

The documents live outside the project (`../shared/auth0/` from the project root). When
they are absent the validator skips locally and fails under CI.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator, validators
from jsonschema._keywords import anyOf
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_AUTH0 = PROJECT_ROOT.parent / "shared" / "auth0"
MGMT_DOC = SHARED_AUTH0 / "management-api.openapi.json"
AUTHN_DOC = SHARED_AUTH0 / "authentication-api.openapi.json"
IN_CI = bool(os.environ.get("CI"))
_URN = "urn:auth0:openapi"

# Auth0's list responses are `oneOf` [array, offset page, checkpoint page] whose object
# branches overlap (a last checkpoint page `{organizations: [...]}` fits both object
# shapes), so `oneOf` would reject correct bodies. Checked as `anyOf`: the body must fit
# at least one documented shape.
LenientValidator = validators.extend(Draft202012Validator, {"oneOf": anyOf})


def require_openapi(path: Path = MGMT_DOC) -> None:
    if path.exists():
        return
    reason = f"Auth0 OpenAPI document not found at {path} (expected ../shared/auth0/)"
    if IN_CI:
        pytest.fail(reason + "; CI is set, so this is a failure, not a skip")
    pytest.skip(reason)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class OpenAPIValidator:
    """Validate (method, path, status, body) against one OpenAPI document.

    `prefix` is stripped from request paths before matching templates ("/api/v2" for
    the Management API). Every validated call is kept in `checked` for assertions.
    """

    doc: dict[str, Any]
    prefix: str = ""
    checked: list[tuple[str, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_URN, resource)
        self._templates: list[tuple[re.Pattern[str], str]] = []
        for template in self.doc["paths"]:
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$"
            self._templates.append((re.compile(regex), template))
        # Literal segments beat parameters: /organizations/name/{name} over /{id}/...
        self._templates.sort(key=lambda item: (item[1].count("{"), -len(item[1])))

    def template_for(self, path: str) -> str | None:
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) :]
        for regex, template in self._templates:
            if regex.match(path):
                return template
        return None

    def schema_pointer(self, method: str, template: str, status: int) -> str | None:
        """JSON pointer to the response schema, or None when the document gives none."""
        operation = self.doc["paths"][template].get(method.lower())
        if operation is None:
            raise AssertionError(f"{method} {template} is not in the OpenAPI document")
        responses = operation.get("responses", {})
        key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        if key not in responses:
            if 200 <= status < 300:
                raise AssertionError(
                    f"{method} {template} answered {status}, which the document does not "
                    f"list (it lists {sorted(responses)})"
                )
            return None  # Auth0 documents few error statuses; their bodies have no schema
        content = responses[key].get("content", {})
        for media in ("application/json", "application/json; charset=utf-8"):
            if media in content and "schema" in content[media]:
                return _pointer(
                    "paths", template, method.lower(), "responses", key, "content", media, "schema"
                )
        return None

    def validate(self, method: str, path_or_template: str, status: int, body: Any) -> None:
        template = (
            path_or_template
            if path_or_template in self.doc["paths"]
            else self.template_for(path_or_template)
        )
        if template is None:
            raise AssertionError(f"no OpenAPI path matches {path_or_template}")
        pointer = self.schema_pointer(method, template, status)
        self.checked.append((method.upper(), template, status))
        if pointer is None:
            return
        schema = {"$ref": f"{_URN}#/{pointer}"}
        # Formats stay unchecked: Auth0's schemas use private ones ("organization-id").
        validator = LenientValidator(schema, registry=self._registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [
                f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
                for e in errors[:5]
            ]
            raise AssertionError(
                f"{method} {template} {status}: body does not match Auth0's schema:\n  "
                + "\n  ".join(lines)
                + f"\nbody: {json.dumps(body)[:1500]}"
            )

    def check_response(self, response: httpx.Response) -> None:
        """An httpx response hook: validate JSON bodies of Management API responses."""
        request = response.request
        path = request.url.path
        if self.prefix and not path.startswith(self.prefix):
            return
        response.read()
        if response.status_code >= 400 and self.template_for(path) is None:
            return  # an error for a path Auth0 does not have: nothing to check against
        if not response.content:
            template = self.template_for(path)
            if template is None:
                raise AssertionError(f"no OpenAPI path matches {path}")
            # No body to validate, but a 2xx status must still be one Auth0 documents.
            self.schema_pointer(request.method, template, response.status_code)
            self.checked.append((request.method, template, response.status_code))
            return
        if "json" not in response.headers.get("content-type", ""):
            return
        self.validate(request.method, path, response.status_code, response.json())


@cache
def load_document(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
