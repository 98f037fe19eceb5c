"""`manage.py devstack`: web, worker, beat and the sandbox in one command (`make run`)."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import WSGIServer, get_internal_wsgi_application, run

from portal.devstack import DevStack, banner, env_flag


class Command(BaseCommand):
    help = "Start the portal's whole development stack; Ctrl-C stops everything."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-sandbox",
            action="store_true",
            help="Use the tenant in AUTH0_DOMAIN instead of starting the sandbox.",
        )

    def handle(self, *args: Any, host: str, port: int, no_sandbox: bool, **options: Any) -> None:
        with_sandbox = not no_sandbox and env_flag("DEVSTACK_SANDBOX", True)
        stack = DevStack(host=host, port=port, with_sandbox=with_sandbox)

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
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
