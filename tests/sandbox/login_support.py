"""Helpers for the login-flow tests: a browser that follows the sandbox's pages and
forms, and an authlib relying party that verifies ID tokens against the JWKS."""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from sandbox import SandboxApp
from sandbox.seed import PORTAL_LOGIN_CLIENT_ID, PORTAL_LOGIN_CLIENT_SECRET

with warnings.catch_warnings(record=True):
    # authlib 1.9 prefers the httpx2 package; plain httpx is what the project installs.
    from authlib.integrations.httpx_client import OAuth2Client

PORTAL_CALLBACK = "http://127.0.0.1:8000/auth/callback"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)  # their text, stripped


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").upper()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms:
            self._button = []
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            self.forms[-1].buttons.append("".join(self._button).strip())
            self._button = None


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


class Browser:
    """Keeps cookies, follows redirects within the sandbox; stops at other hosts and at
    applications' callbacks (the demo app's callback lives on the sandbox itself)."""

    def __init__(self, app: SandboxApp) -> None:
        self.base = app.config.base_url
        self.client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=self.base)
        self.history: list[httpx.Response] = []

    def _internal(self, url: str) -> bool:
        if urlsplit(url).path.endswith("/callback"):
            return False
        return url.startswith(("/", self.base))

    def follow(self, response: httpx.Response) -> httpx.Response:
        for _ in range(20):
            self.history.append(response)
            location = response.headers.get("location")
            if response.status_code not in (301, 302, 303) or not location:
                return response
            if not self._internal(location):
                return response
            response = self.client.get(urljoin(self.base + "/", location))
        raise AssertionError("too many redirects")

    def open(self, url: str) -> httpx.Response:
        return self.follow(self.client.get(url))

    def submit(
        self, page: httpx.Response, data: dict[str, str] | None = None, index: int = 0
    ) -> httpx.Response:
        forms = parse(page.text).forms
        assert forms, f"no form on the page: {page.text[:500]}"
        form = forms[index]
        action = urljoin(str(page.url), form.action or str(page.url))
        return self.follow(self.client.post(action, data={**form.fields, **(data or {})}))

    def click(self, page: httpx.Response, text_in_href: str) -> httpx.Response:
        links = [h for h in parse(page.text).links if text_in_href in h]
        assert links, f"no link containing {text_in_href!r}"
        return self.open(urljoin(str(page.url), links[0]))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class RelyingParty:
    """An application logging users in through the sandbox with authlib."""

    def __init__(
        self,
        app: SandboxApp,
        client_id: str = PORTAL_LOGIN_CLIENT_ID,
        client_secret: str | None = PORTAL_LOGIN_CLIENT_SECRET,
        redirect_uri: str = PORTAL_CALLBACK,
        auth_method: str = "client_secret_basic",
        scope: str = "openid profile email",
    ) -> None:
        self.app = app
        self.base = app.config.base_url
        self.client_id = client_id
        self.oauth = OAuth2Client(
            client_id,
            client_secret,
            scope=scope,
            redirect_uri=redirect_uri,
            token_endpoint_auth_method=auth_method,
            code_challenge_method="S256",
            transport=httpx.WSGITransport(app=app),
        )
        self.verifier = secrets.token_urlsafe(48)
        self.nonce = secrets.token_urlsafe(16)
        self.state = ""

    def authorize_url(self, **params: str) -> str:
        url, self.state = self.oauth.create_authorization_url(
            f"{self.base}/authorize", code_verifier=self.verifier, nonce=self.nonce, **params
        )
        return str(url)

    def fetch_token(self, callback: str, **kwargs: Any) -> dict[str, Any]:
        token = self.oauth.fetch_token(
            f"{self.base}/oauth/token",
            authorization_response=callback,
            code_verifier=kwargs.pop("code_verifier", self.verifier),
            **kwargs,
        )
        return dict(token)

    def id_claims(self, id_token: str) -> dict[str, Any]:
        """Verify signature (JWKS), issuer, audience, expiry and nonce; return claims."""
        with httpx.Client(transport=httpx.WSGITransport(app=self.app)) as http:
            jwks = http.get(f"{self.base}/.well-known/jwks.json").json()
            issuer = http.get(f"{self.base}/.well-known/openid-configuration").json()["issuer"]
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
        registry = jwt.JWTClaimsRegistry(
            now=int(self.app.config.clock()),
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            nonce={"essential": True, "value": self.nonce},
        )
        registry.validate(token.claims)
        return dict(token.claims)


def log_types(app: SandboxApp) -> list[str]:
    return [entry.type for entry in app.state.logs]


def login(
    app: SandboxApp,
    email: str,
    password: str,
    browser: Browser | None = None,
    rp: RelyingParty | None = None,
    **params: str,
) -> tuple[RelyingParty, Browser, httpx.Response]:
    """Open /authorize, fill the login form; return the response that leaves the sandbox."""
    rp = rp or RelyingParty(app)
    browser = browser or Browser(app)
    page = browser.open(rp.authorize_url(**params))
    if page.status_code == 200 and "password" in page.text:
        page = browser.submit(page, {"username": email, "password": password})
    return rp, browser, page
