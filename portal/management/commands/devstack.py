"""`manage.py devstack`: web, worker, beat and the sandbox in one command (`make run`).

`make run PORT=9000 SANDBOX_PORT=9001`: the portal's URL (PORTAL_BASE_URL, unless set)
follows `--port`, and AUTH0_DOMAIN follows the sandbox's port when one is given."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import WSGIServer, get_internal_wsgi_application, run

from portal.devstack import DevStack, banner, configure_urls, env_flag, install_stop_handlers


def _port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError(value)
    return port


class Command(BaseCommand):
    help = "Start the portal's whole development stack; Ctrl-C stops everything."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=_port, default=8000)
        parser.add_argument(
            "--sandbox-port",
            type=_port,
            default=None,
            help="Serve the sandbox on this port, with AUTH0_DOMAIN pointing at it "
            "(default: SANDBOX_PORT, else the port in AUTH0_DOMAIN).",
        )
        parser.add_argument(
            "--no-sandbox",
            action="store_true",
            help="Use the tenant in AUTH0_DOMAIN instead of starting the sandbox.",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        sandbox_port: int | None,
        no_sandbox: bool,
        **options: Any,
    ) -> None:
        # First of all: a signal during start-up must stop what has started so far.
        install_stop_handlers()
        with_sandbox = not no_sandbox and env_flag("DEVSTACK_SANDBOX", True)
        if with_sandbox:
            sandbox_port = sandbox_port or _sandbox_port_from_env()
        configure_urls(host, port, sandbox_port if with_sandbox else None)
        stack = DevStack(host=host, port=port, with_sandbox=with_sandbox)
        try:
            if with_sandbox:
                stack.start_sandbox()
                call_command("auth0_import", verbosity=0)
            stack.start_workers()
            self.stdout.write(banner(host, port, with_sandbox))
            run(host, port, get_internal_wsgi_application(), threading=True, server_cls=WSGIServer)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the portal...")
        finally:
            stack.stop()
            self.stdout.write("Stopped.")


def _sandbox_port_from_env() -> int | None:
    value = os.environ.get("SANDBOX_PORT", "").strip()
    if not value:
        return None
    try:
        return _port(value)
    except ValueError:
        raise CommandError(f"SANDBOX_PORT={value!r} is not a port number") from None
