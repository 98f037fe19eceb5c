"""A live sandbox tenant for portal tests: served on a real socket, as Auth0 would be,
so the gateway, login and worker subprocesses all reach it the same way."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import httpx
from werkzeug.serving import BaseWSGIServer, make_server

from portal.devstack import free_port
from sandbox import SandboxApp, create_app

__all__ = ["FAST_LIMITS", "SandboxServer", "free_port", "start_sandbox"]

FAST_LIMITS = (
    "global=1000:1000,organization_writes=1000:1000,"
    "organization_connection_writes=1000:1000,invitations=1000:1000,"
    "member_roles=1000:1000"
)


@dataclass
class SandboxServer:
    app: SandboxApp
    url: str
    server: BaseWSGIServer

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}/__sandbox__{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        self.control("POST", "/reset", json={"seed": "demo"})
        self.control("DELETE", "/faults")

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control("GET", "/state")
        return result

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", "/faults", json=rule)
        return result

    def stop(self) -> None:
        self.server.shutdown()


def start_sandbox(**config: Any) -> SandboxServer:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config.setdefault("seed", "demo")
    app = create_app(base_url=url, **config)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True, name="sandbox").start()
    return SandboxServer(app=app, url=url, server=server)
