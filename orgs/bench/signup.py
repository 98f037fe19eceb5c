"""The sign-up benchmark: a script plays a new customer against a running stack (web,
worker, beat, sandbox; orgs/bench/stack.py), over HTTP as a browser would, and times two
things a person waits for:

- **verify → ready**: from opening the verification link to the progress partial's last
  green step ("Done: your organization is ready."): the organization, its sign-in and
  the invitation made in Auth0 by the interactive lane.
- **sign-up → admin**: from opening the sign-up page to the first page of the customer
  admin area (the organization's overview with its "Set up your organization" checklist):
  the form, both emails read from the sandbox's outbox, the password chosen on the
  sandbox's accept page, and the way back through the portal's /auth/callback.

The person never waits for themselves: emails and the progress are polled every
POLL_SECONDS, so the figures are the portal's and the tenant's time, not a reader's."""

from __future__ import annotations

import re
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import httpx

POLL_SECONDS = 0.1
REQUEST_TIMEOUT = 15.0
EMAIL_TIMEOUT = 30.0  # seconds for an email to reach the outbox
READY_TIMEOUT = 60.0  # seconds from the verification link to every step done
TARGET_VERIFY_TO_READY = 10.0
TARGET_SIGNUP_TO_ADMIN = 60.0
PASSWORD = "Bench-signup-2026!"  # meets the sandbox's database connection policy

READY = "Done: your organization is ready."
SETTLED_WITHOUT_READY = ("Nearly there: our team is finishing", "has been removed")
CHECKLIST = "Set up your organization"
STATUS_PATH = re.compile(r"/signup/[0-9a-f-]{36}/$")


class SignupBenchError(RuntimeError):
    """The person could not get where a person should: the message says where they stuck."""


@dataclass(frozen=True)
class Person:
    company_name: str
    slug: str
    admin_name: str
    email: str

    @classmethod
    def fresh(cls) -> Person:
        """A company, short name and address no earlier run used."""
        tag = secrets.token_hex(4)
        slug = f"bench-{tag}"
        return cls(f"Bench {tag.upper()} Ltd", slug, "Bench Person", f"admin@{slug}.test")


@dataclass(frozen=True)
class SignupTimes:
    verify_to_ready: float
    signup_to_admin: float


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)


class _FormReader(HTMLParser):
    """Every form of a page with its inputs' names, values and types."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self._open: HtmlForm | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = HtmlForm(values.get("action", ""), values.get("method", "get").lower())
            self.forms.append(self._open)
        elif tag in ("input", "textarea", "select") and self._open and values.get("name"):
            name = values["name"]
            self._open.fields[name] = values.get("value", "")
            self._open.types[name] = values.get("type", "text").lower()

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def page_forms(html: str) -> list[HtmlForm]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def play_person(portal_url: str, sandbox_url: str, person: Person) -> SignupTimes:
    """One person from the sign-up page to their organization's overview; their own
    cookie-keeping client follows every redirect, as a browser does."""
    outbox = Outbox(sandbox_url)
    with httpx.Client(follow_redirects=True, timeout=REQUEST_TIMEOUT) as browser:
        started = time.monotonic()
        _sign_up(browser, portal_url, person)
        verify_link = outbox.await_link(person.email, "/signup/verify/")
        verified = time.monotonic()
        status_page = _get(browser, verify_link, "the verification link")
        if not STATUS_PATH.search(status_page.url.path):
            raise SignupBenchError(f"the verification link led to {status_page.url}")
        _await_ready(browser, f"{status_page.url}progress/")
        ready = time.monotonic()
        invitation_link = outbox.await_link(person.email, "invitation=")
        _accept_invitation(browser, invitation_link, person)
        landed = time.monotonic()
    return SignupTimes(verify_to_ready=ready - verified, signup_to_admin=landed - started)


def _sign_up(browser: httpx.Client, portal_url: str, person: Person) -> None:
    form_page = _get(browser, f"{portal_url}/signup/", "the sign-up page")
    form = _form_with(form_page, "csrfmiddlewaretoken", "the sign-up page")
    details = {
        "company_name": person.company_name,
        "slug": person.slug,
        "admin_name": person.admin_name,
        "email": person.email,
        "terms": "on",
    }
    answer = browser.post(urljoin(str(form_page.url), form.action), data=form.fields | details)
    if answer.status_code != 200 or "Check your email" not in answer.text:
        raise SignupBenchError(f"the sign-up form answered {answer.status_code}: {_gist(answer)}")


def _await_ready(browser: httpx.Client, progress_url: str) -> None:
    def ready() -> bool:
        partial = _get(browser, progress_url, "the progress partial")
        if any(words in partial.text for words in SETTLED_WITHOUT_READY):
            raise SignupBenchError(f"the setup did not finish: {_gist(partial)}")
        return READY in partial.text

    poll(ready, READY_TIMEOUT, "every step of the progress turning green")


def _accept_invitation(browser: httpx.Client, invitation_link: str, person: Person) -> None:
    """The sandbox's accept page ("Choose a password", "Create account and accept"), then
    the tenant's redirect back through the portal's /auth/callback to the admin area."""
    accept_page = _get(browser, invitation_link, "the invitation link")
    form = _form_with(accept_page, "password", "the accept-invitation page")
    answers = form.fields | {"username": person.email, "password": PASSWORD}
    landed = browser.post(urljoin(str(accept_page.url), form.action), data=answers)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", landed.text, re.DOTALL)
    if (
        landed.status_code != 200
        or CHECKLIST not in landed.text
        or heading is None
        or escape(person.company_name) not in heading.group(1)
    ):
        raise SignupBenchError(
            f"accepting the invitation ended at {landed.url} ({landed.status_code}), not in "
            f"{person.company_name}'s admin area: {_gist(landed)}"
        )


class Outbox:
    """The sandbox's outbox (`GET /__sandbox__/emails?to=`, newest first, links pulled
    out of each email): the person's mailbox."""

    def __init__(self, sandbox_url: str) -> None:
        self.url = f"{sandbox_url.rstrip('/')}/__sandbox__/emails"

    def await_link(self, to: str, containing: str) -> str:
        found: list[str] = []

        def arrived() -> bool:
            found[:] = self.links(to, containing)
            return bool(found)

        poll(arrived, EMAIL_TIMEOUT, f"an email to {to} with a link containing {containing!r}")
        return found[0]

    def links(self, to: str, containing: str) -> list[str]:
        answer = httpx.get(
            self.url,
            params={"to": to, "format": "json"},
            headers={"Accept": "application/json"},
            timeout=REQUEST_TIMEOUT,
        )
        answer.raise_for_status()
        emails: list[dict[str, Any]] = answer.json()
        return [link for email in emails for link in email["links"] if containing in link]


def poll(check: Callable[[], bool], timeout: float, waiting_for: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SignupBenchError(f"no {waiting_for} within {timeout:.0f}s")
        time.sleep(POLL_SECONDS)


def _get(browser: httpx.Client, url: str, what: str) -> httpx.Response:
    response = browser.get(url)
    if response.status_code != 200:
        raise SignupBenchError(f"{what} ({url}) answered {response.status_code}: {_gist(response)}")
    return response


def _form_with(page: httpx.Response, field_name: str, what: str) -> HtmlForm:
    for form in page_forms(page.text):
        if field_name in form.fields:
            return form
    raise SignupBenchError(f"{what} ({page.url}) has no form with {field_name!r}: {_gist(page)}")


def _gist(response: httpx.Response, length: int = 300) -> str:
    """The page's words without markup, enough to say what went wrong."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:length]


# --- several runs --------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchRuns:
    warmup: SignupTimes
    times: list[SignupTimes]


def run_people(portal_url: str, sandbox_url: str, runs: int) -> BenchRuns:
    """A warm-up person, then `runs` people one after another, each a fresh company, short
    name and address. The warm-up is reported apart and never counted: it meets what a
    fresh stack does once (Celery worker processes still connecting, first imports), not
    what a sign-up costs."""
    warmup = play_person(portal_url, sandbox_url, Person.fresh())
    times = [play_person(portal_url, sandbox_url, Person.fresh()) for _ in range(runs)]
    return BenchRuns(warmup, times)


def report(runs: BenchRuns, *, database: str, coordination: str) -> dict[str, Any]:
    """Median and max of both figures (seconds), each run's, and whether the targets held;
    `database` and `coordination` say what the stack ran on."""
    times = runs.times
    verify = [t.verify_to_ready for t in times]
    journey = [t.signup_to_admin for t in times]
    return {
        "bench": "signup",
        "database": database,
        "coordination": coordination,
        "runs": len(times),
        "verify_to_ready_median_s": _seconds(statistics.median(verify)),
        "verify_to_ready_max_s": _seconds(max(verify)),
        "signup_to_admin_median_s": _seconds(statistics.median(journey)),
        "signup_to_admin_max_s": _seconds(max(journey)),
        "target_verify_to_ready_s": TARGET_VERIFY_TO_READY,
        "target_signup_to_admin_s": TARGET_SIGNUP_TO_ADMIN,
        "within_targets": max(verify) < TARGET_VERIFY_TO_READY
        and max(journey) < TARGET_SIGNUP_TO_ADMIN,
        "each_s": [[_seconds(a), _seconds(b)] for a, b in zip(verify, journey, strict=True)],
        "warmup_s": [_seconds(runs.warmup.verify_to_ready), _seconds(runs.warmup.signup_to_admin)],
    }


def table(figures: dict[str, Any]) -> str:
    """The report for people: one row per run, then median, max and the targets."""
    rows = [("warm-up", *figures["warmup_s"])]
    rows += [(f"run {n}", a, b) for n, (a, b) in enumerate(figures["each_s"], start=1)]
    rows += [
        ("median", figures["verify_to_ready_median_s"], figures["signup_to_admin_median_s"]),
        ("max", figures["verify_to_ready_max_s"], figures["signup_to_admin_max_s"]),
    ]
    lines = [f"{'':<8}{'verify → ready s':>18}{'sign-up → admin s':>20}"]
    lines += [f"{name:<8}{a:>18.2f}{b:>20.2f}" for name, a, b in rows]
    verify_target = f"< {figures['target_verify_to_ready_s']:g}"
    journey_target = f"< {figures['target_signup_to_admin_s']:g}"
    lines.append(f"{'target':<8}{verify_target:>18}{journey_target:>20}")
    lines.append(f"(database {figures['database']}, coordination {figures['coordination']})")
    return "\n".join(lines)


def _seconds(value: float) -> float:
    return round(value, 3)
