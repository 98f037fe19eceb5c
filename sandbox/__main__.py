"""`python -m sandbox serve --port 8001 [--host 127.0.0.1] [--seed demo] [--state FILE]
[--portal-url http://127.0.0.1:8000] [--rate 16 --burst 50]
[--m2m-client-id ID --m2m-client-secret SECRET] [--tls [--tls-dir DIR]]`."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from werkzeug.serving import make_server

from . import create_app
from .config import DEFAULT_PORTAL_URL
from .seed import DEMO_CREDENTIALS, PORTAL_M2M_CLIENT_ID, PORTAL_M2M_CLIENT_SECRET
from .tls import ensure_certificates


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the sandbox tenant as an HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument(
        "--base-url", help="the URL clients use (default http://HOST:PORT); also the issuer"
    )
    serve.add_argument("--seed", choices=["demo", "none"], default="none")
    serve.add_argument(
        "--portal-url",
        default=DEFAULT_PORTAL_URL,
        help="where the portal runs: the demo seed's login client callbacks point there",
    )
    serve.add_argument("--state", metavar="FILE", help="JSON snapshot to load and keep saved")
    serve.add_argument("--rate", type=float, default=16.0, help="global bucket refill per second")
    serve.add_argument("--burst", type=int, default=50, help="global bucket size")
    serve.add_argument("--no-endpoint-buckets", action="store_true", help="only the global bucket")
    serve.add_argument("--m2m-client-id", default=PORTAL_M2M_CLIENT_ID)
    serve.add_argument("--m2m-client-secret", default=PORTAL_M2M_CLIENT_SECRET)
    serve.add_argument("--random-seed", type=int, default=0, help="seed for random faults")
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve https with a certificate made for localhost (issuer and audience https)",
    )
    serve.add_argument(
        "--tls-dir",
        default="var/sandbox-tls",
        help="where the CA and server certificate are kept and reused (default var/sandbox-tls)",
    )
    return parser


def _stop(signum: int, frame: FrameType | None) -> None:
    # Docker and process managers send SIGTERM: leave like Ctrl-C, saving the snapshot.
    # Only once: a second signal (a process group's, then a supervisor's) must not
    # interrupt the snapshot being written.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    host = "localhost" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    scheme = "https" if args.tls else "http"
    base_url = (args.base_url or f"{scheme}://{host}:{args.port}").rstrip("/")
    app = create_app(
        base_url=base_url,
        seed=None if args.seed == "none" else args.seed,
        portal_url=args.portal_url,
        state_file=args.state,
        rate=args.rate,
        burst=args.burst,
        endpoint_buckets=not args.no_endpoint_buckets,
        m2m_client_id=args.m2m_client_id,
        m2m_client_secret=args.m2m_client_secret,
        random_seed=args.random_seed,
    )
    ssl_context = None
    if args.tls:
        tls = ensure_certificates(args.tls_dir, host)
        ssl_context = tls.server_context()
        print(f"  TLS certificate authority: {tls.ca_cert.resolve()}", flush=True)
        print(f"    (trust it: NODE_EXTRA_CA_CERTS={tls.ca_cert.resolve()})", flush=True)
    server = make_server(args.host, args.port, app, threaded=True, ssl_context=ssl_context)
    # SIGINT too: a background job of a non-interactive shell starts with SIGINT ignored,
    # and Python then installs no handler of its own.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    print(f"Auth0 sandbox at {base_url}  (issuer {app.config.issuer})", flush=True)
    print(f"  Management API: {base_url}/api/v2/  control: {base_url}/__sandbox__/", flush=True)
    print(f"  M2M client: {args.m2m_client_id} / {args.m2m_client_secret}", flush=True)
    if args.seed == "demo":
        print(f"  front page (demo logins): {base_url}/  portal: {args.portal_url}", flush=True)
        for email, password in DEMO_CREDENTIALS.items():
            print(f"  demo login: {email} / {password}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.save()
        print("sandbox stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
