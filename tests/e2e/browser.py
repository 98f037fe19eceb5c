"""Playwright helpers for the journeys: Debian's chromium (never a downloaded browser),
screenshots into test-artifacts/ at desktop and phone width, and axe-core from npm."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Axe's impact levels that fail a journey.
BLOCKING_IMPACTS = ("serious", "critical")


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def launch_options() -> dict[str, Any]:
    return {
        "executable_path": chromium_path(),
        "headless": True,
        "args": ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
    }


class Checks:
    """Per journey: screenshot and axe each page, collecting violations to report at the end
    (so one run shows every page's problems, not only the first)."""

    def __init__(self, journey: str) -> None:
        self.directory = ARTIFACTS / journey
        shutil.rmtree(self.directory, ignore_errors=True)  # only this run's pages
        self.directory.mkdir(parents=True)
        self.violations: list[str] = []
        self.count = 0

    def page(self, page: Any, name: str, *, phone: bool = True) -> None:
        """Screenshot `page` (desktop, then phone width) and run axe on it."""
        self.count += 1
        stem = f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"
        page.screenshot(path=str(self.directory / f"{stem}.png"), full_page=True)
        self._axe(page, name)
        if phone:
            size = page.viewport_size
            page.set_viewport_size(PHONE)
            page.screenshot(path=str(self.directory / f"{stem}-phone.png"), full_page=True)
            self._check_no_horizontal_scroll(page, name)
            page.set_viewport_size(size)

    def _axe(self, page: Any, name: str) -> None:
        page.add_script_tag(path=str(AXE_SCRIPT))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                targets = [node["target"] for node in violation["nodes"]][:5]
                self.violations.append(
                    f"{name}: {violation['impact']} {violation['id']}: {violation['help']} "
                    f"{json.dumps(targets)}"
                )

    def _check_no_horizontal_scroll(self, page: Any, name: str) -> None:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 2:
            self.violations.append(f"{name}: {overflow}px wider than a 390px phone screen")

    def assert_clean(self) -> None:
        assert not self.violations, "\n".join(self.violations)
