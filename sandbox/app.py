"""The WSGI application: routing, faults, rate limits, bearer checks, logs, snapshots."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import snapshot
from .auth import authenticate
from .config import SandboxConfig
from .errors import OAuthError, SandboxError
from .faults import FaultInjector, FaultRule, drop_connection, fault_error
from .keys import KeyRing
from .logs import LogWriter, Outbox
from .ratelimit import RateLimiter
from .routing import API_PREFIX, Call, RouteSpec, json_response
from .state import State

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger("sandbox")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Request-body keys never copied into log entries.
_SECRET_KEYS = frozenset({"password", "client_secret", "signingCert", "code_verifier"})


class SandboxApp:
    """One fake tenant. `state`, `config`, `limiter`, `faults`, `stats`, `keys` are public."""

    def __init__(self, config: SandboxConfig, routes: Iterable[RouteSpec]) -> None:
        self.config = config
        self.state = State()
        self.logs = LogWriter(self.state, config.clock)
        self.outbox = Outbox(self.state, config.clock)
        self.limiter = RateLimiter(config, config.clock)
        self.faults = FaultInjector(config.random_seed)
        from .stats import Stats

        self.stats = Stats()
        self.routes = list(routes)
        self._map = _url_map(self.routes)
        if config.state_file:
            snapshot.load(self.state, config.state_file)
        self.keys = KeyRing(self.state, config.clock())

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            index, params = adapter.match()
        except (NotFound, MethodNotAllowed) as exc:
            return self._unrouted(request, exc)
        except HTTPException as exc:  # e.g. a redirect Werkzeug would like to issue
            return self._unrouted(request, exc)
        spec = self.routes[index]
        call = Call(self, request, spec, dict(params))
        if spec.kind == "control":
            return self._run(call)

        rule = self.faults.pick(request.method, request.path)
        if rule is not None:
            self.stats.count_fault()
            if rule.delay:
                self.config.sleep(rule.delay)
            if rule.action in ("status", "drop"):
                return self._fault_response(call, rule)

        response = self._mgmt(call) if spec.kind == "mgmt" else self._run(call)

        if rule is not None and rule.action == "apply_then_fail":
            self._after_change(call, response.status_code)
            return self._fault_response(call, rule, applied=True)
        self._after_change(call, response.status_code)
        return response

    # --- pipeline pieces ----------------------------------------------------------------

    def _mgmt(self, call: Call) -> Response:
        request = call.request
        decision = self.limiter.acquire(request.method, request.path)
        if not decision.allowed:
            self.stats.count_throttled()
            message = "Global limit has been reached"
            self.logs.write(
                "api_limit",
                "Rate limit exceeded",
                ip=request.remote_addr,
                client_id=_caller_client_id(call),
                details={
                    "bucket": decision.bucket.name,
                    "method": request.method,
                    "path": request.path,
                },
            )
            error = SandboxError(429, message, "too_many_requests")
            response = json_response(error.body(), 429, decision.headers)
            self.stats.record(request.method, call.spec.template, 429)
            return response
        try:
            authenticate(call)
            with self.state.lock:
                response = call.spec.handler(call)
        except SandboxError as exc:
            response = json_response(exc.body(), exc.status, exc.headers)
        except Exception:
            log.exception("sandbox handler failed: %s %s", request.method, request.path)
            response = json_response(SandboxError(500, "Internal error").body(), 500)
        self._log_api_call(call, response)
        response.headers.update(decision.headers)
        self.stats.record(request.method, call.spec.template, response.status_code)
        return response

    def _run(self, call: Call) -> Response:
        request = call.request
        try:
            if call.spec.locked:
                with self.state.lock:
                    response = call.spec.handler(call)
            else:
                response = call.spec.handler(call)
        except SandboxError as exc:
            response = json_response(exc.body(), exc.status, exc.headers)
        except OAuthError as exc:
            response = json_response(exc.body(), exc.status, {"Cache-Control": "no-store"})
        except Exception:
            log.exception("sandbox handler failed: %s %s", request.method, request.path)
            response = json_response(SandboxError(500, "Internal error").body(), 500)
        if call.spec.kind != "control":
            self.stats.record(request.method, call.spec.template, response.status_code)
        return response

    def _fault_response(self, call: Call, rule: FaultRule, applied: bool = False) -> Response:
        request = call.request
        wants_drop = rule.action == "drop" or (applied and rule.then == "drop")
        if wants_drop:
            self.stats.record(request.method, call.spec.template, "dropped")
            drop_connection(request.environ)
        error = fault_error(rule)
        if not applied:
            self.stats.record(request.method, call.spec.template, error.status)
        headers: dict[str, str] = {}
        if call.spec.kind == "mgmt":
            # Every Management API response carries the headers; a fault takes no token.
            headers = self.limiter.acquire(request.method, request.path, take=False).headers
        if error.status == 429 and call.spec.kind == "mgmt":
            reset = int(self.config.clock()) + 1
            headers = {
                "x-ratelimit-limit": str(self.config.burst),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(reset),
            }
        if call.spec.kind == "mgmt" or request.path.startswith(API_PREFIX):
            return json_response(error.body(), error.status, headers)
        body = {
            "error": "server_error" if error.status >= 500 else "temporarily_unavailable",
            "error_description": error.message,
        }
        if error.status == 429:
            body["error"] = "too_many_requests"
        return json_response(body, error.status, headers)

    def _unrouted(self, request: Request, exc: HTTPException) -> Response:
        status = 405 if isinstance(exc, MethodNotAllowed) else 404
        if request.path.startswith(API_PREFIX):
            status = 404  # Auth0 answers unknown method/path pairs with 404
        if exc.code and 300 <= exc.code < 400:
            return exc.get_response(request.environ)
        self.stats.record(request.method, "(unrouted)", status)
        return json_response(
            SandboxError(status, "Not Found" if status == 404 else "Method Not Allowed").body(),
            status,
        )

    def _log_api_call(self, call: Call, response: Response) -> None:
        """`sapi` for a successful write, `fapi` for any failed Management API call."""
        request = call.request
        ok = response.status_code < 400
        if ok and request.method in SAFE_METHODS:
            return
        body: Any = None
        if request.method not in SAFE_METHODS:
            try:
                body = _redact(call.body_any())
            except SandboxError:
                body = None
        details: dict[str, Any] = {
            "request": {
                "method": request.method.lower(),
                "path": request.path,
                "query": dict(request.args),
                "body": body,
                "channel": "api",
            },
            "response": {"statusCode": response.status_code},
        }
        if not ok:
            details["response"]["body"] = response.get_json(silent=True)
        description = call.spec.description or f"{request.method} {call.spec.template}"
        self.logs.write(
            "sapi" if ok else "fapi",
            description,
            ip=request.remote_addr,
            user_agent=request.user_agent.string or None,
            client_id=call.token.client_id if call.token else None,
            details=details,
        )

    def _after_change(self, call: Call, status: int) -> None:
        if self.config.state_file and call.request.method not in SAFE_METHODS:
            self.save()

    # --- tenant lifecycle ----------------------------------------------------------------

    def apply_seed(self, name: str) -> None:
        from .seed import apply_seed

        cfg = self.config
        apply_seed(self.state, name, cfg.base_url, cfg.clock(), portal_url=cfg.portal_url)
        self.ensure_configured_m2m()

    def follow_portal_url(self) -> None:
        """A snapshot holds the portal URLs of the run that saved it: use today's."""
        from .seed import follow_portal_url

        follow_portal_url(self.state, self.config.portal_url)

    def ensure_configured_m2m(self) -> None:
        """The `m2m_client_id`/`secret` config: create or keep that client and its grant."""
        cfg = self.config
        if cfg.m2m_client_id and cfg.m2m_client_secret:
            from .seed import ensure_m2m_client

            ensure_m2m_client(
                self.state, cfg.base_url, cfg.m2m_client_id, cfg.m2m_client_secret, cfg.clock()
            )

    def reset(self, seed: str | None = None) -> None:
        """Empty the tenant (keeping its signing key), clear faults and stats, refill
        buckets, then apply `seed` and the configured M2M client."""
        with self.state.lock:
            self.state.clear(keep_signing_key=True)
            self.faults.clear(self.config.random_seed)
            self.stats.clear()
            self.limiter.refill_all()
            if seed:
                self.apply_seed(seed)
            else:
                self.ensure_configured_m2m()
            self.save()

    def save(self) -> None:
        if self.config.state_file:
            with self.state.lock:
                snapshot.save(self.state, self.config.state_file)


_MAPS: dict[tuple[int, ...], Map] = {}


def _url_map(routes: list[RouteSpec]) -> Map:
    """One Werkzeug Map per route set, shared by apps: compiling ~100 rules costs ~0.1 s,
    which tests creating an app each would otherwise pay every time."""
    key = tuple(id(spec) for spec in routes)
    url_map = _MAPS.get(key)
    if url_map is None:
        url_map = Map(
            [
                Rule(spec.rule, endpoint=index, methods=list(spec.methods))
                for index, spec in enumerate(routes)
            ],
            strict_slashes=False,
            merge_slashes=False,
        )
        _MAPS[key] = url_map
    return url_map


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("*****" if k in _SECRET_KEYS else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _caller_client_id(call: Call) -> str | None:
    """Who was throttled, as Auth0's api_limit entries say: the token's client, when the
    request carried a valid one (a throttled request is refused before it is checked)."""
    try:
        return authenticate(call).client_id
    except SandboxError:
        return None
