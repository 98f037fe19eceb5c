"""Browser journeys: the real stack (tests/e2e/stack.py) driven by headless chromium.

Skipped locally when chromium, Playwright or axe-core (npm) is missing; under CI that is
a failure (tests.conftest.require_service)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service
from tests.e2e.browser import ARTIFACTS, AXE_SCRIPT, DESKTOP, chromium_path, launch_options
from tests.e2e.stack import RunningStack, start_stack
from tests.orgs.test_domains_support import StubDns


@pytest.fixture(scope="session")
def stub_dns() -> Iterator[StubDns]:
    """The stack's DNS for domain verification: a stub on loopback that journeys fill
    (`stub_dns.records[host] = [value]`), never the internet."""
    server = StubDns().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, stub_dns: StubDns) -> Iterator[RunningStack]:
    dns = {"DOMAIN_DNS_NAMESERVERS": stub_dns.address, "DOMAIN_DNS_TIMEOUT": "2"}
    running = start_stack(Path(tmp_path_factory.mktemp("e2e-stack")), dns)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if chromium_path() is None:
        require_service("chromium is not installed (apt-get install -y chromium)")
    if not AXE_SCRIPT.exists():
        require_service("axe-core is not installed (npm install)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("Playwright for Python is not installed (make install-dev)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**launch_options())
        yield launched
        launched.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Journeys share one stack: a module with `RUNS_LAST = True` leaves state the others
    must not meet (a verified domain, another live connection), so it goes after them."""
    items.sort(key=lambda item: bool(getattr(getattr(item, "module", None), "RUNS_LAST", False)))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page factory: each call is a fresh browser context (another person's cookies).
    When the test fails, every open page is screenshotted as it was."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    if request.node.stash.get(_FAILED, False):
        for number, context in enumerate(contexts):
            for page in context.pages:
                name = f"FAILED-{request.node.name}-{number}.png"
                page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    for context in contexts:
        context.close()
