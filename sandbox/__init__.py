"""A local fake of an Auth0 tenant (see README.md and CORE.md beside this file).

from sandbox import create_app
app = create_app(base_url="http://sandbox.test", seed="demo")
httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox.test")
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from .app import SandboxApp
from .config import SandboxConfig

__all__ = ["SandboxApp", "SandboxConfig", "create_app"]

# Route modules: the core ones, then every module of these packages (each helper adds
# files there; importing registers their routes).
_CORE_MODULES = ("sandbox.oauth", "sandbox.control")
_ROUTE_PACKAGES = ("sandbox.mgmt", "sandbox.authn")


def load_route_modules() -> None:
    for name in _CORE_MODULES:
        importlib.import_module(name)
    for package_name in _ROUTE_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
            importlib.import_module(info.name)


def create_app(**config: Any) -> SandboxApp:
    """A new, independent tenant. Keys: see `SandboxConfig` (base_url, seed, portal_url,
    state_file, rate, burst, endpoint_buckets, bucket_overrides, m2m_client_id,
    m2m_client_secret, random_seed, access_token_lifetime, clock, sleep)."""
    from .routing import REGISTRY

    cfg = SandboxConfig.from_kwargs(**config)
    load_route_modules()
    app = SandboxApp(cfg, REGISTRY)
    loaded = bool(cfg.state_file) and bool(app.state.clients or app.state.organizations)
    if cfg.seed and not loaded:
        app.apply_seed(cfg.seed)
    else:
        app.ensure_configured_m2m()
        if cfg.seed:
            app.follow_portal_url()  # `make run` on another port than the snapshot's run
    return app
