"""`manage.py bench_signup`: a script signs up a customer through a whole stack of its own
and reports both figures (orgs/bench/signup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orgs.bench.signup import HtmlForm, page_forms

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_one_sign_up_reports_both_figures_in_seconds(tmp_path: Path) -> None:
    command = [sys.executable, "manage.py", "bench_signup", "--runs", "1", "--json"]
    command += ["--var-dir", str(tmp_path / "stack")]
    finished = subprocess.run(
        command, cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    assert figures["runs"] == 1
    for figure in ("verify_to_ready", "signup_to_admin"):
        for statistic in ("median", "max"):
            value = figures[f"{figure}_{statistic}_s"]
            assert isinstance(value, float)
            assert value > 0
    # The whole journey includes the wait for the organization to be ready.
    assert figures["signup_to_admin_max_s"] > figures["verify_to_ready_max_s"]


def test_it_reads_a_pages_forms_with_their_hidden_fields() -> None:
    html = """
    <form method="post" action="/u/login/invitation?state=abc">
      <input type="hidden" name="state" value="abc">
      <input type="email" name="username" value="ada@acme.test" readonly>
      <input type="password" name="password">
      <button>Create account and accept</button>
    </form>
    <form action="/search"><input name="q"></form>
    """
    forms = page_forms(html)
    assert forms[0] == HtmlForm(
        action="/u/login/invitation?state=abc",
        method="post",
        fields={"state": "abc", "username": "ada@acme.test", "password": ""},
        types={"state": "hidden", "username": "email", "password": "password"},
    )
    assert forms[1].fields == {"q": ""}
