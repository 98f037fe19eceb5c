"""Settings for every environment, read from environment variables (see `.env.example`).

Nothing here branches on DEBUG to pick collaborators: `AUTH0_DOMAIN` chooses the tenant
(the sandbox or a real one), `DATABASE_URL` the database and `REDIS_URL` whether
coordination (broker, locks, rate limits, token cache) is shared through Redis or
embedded in the process.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# Local state of the embedded stack: SQLite file, dev secret key, sandbox snapshot, emails.
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default="") or BASE_DIR / "var")

PORTAL_ENV: str = env.str("PORTAL_ENV", default="development")
PRODUCTION = PORTAL_ENV == "production"
DEBUG: bool = env.bool("DEBUG", default=not PRODUCTION)


def _dev_secret_key() -> str:
    """A key generated once per checkout and kept under var/, so sessions survive restarts."""
    VAR_DIR.mkdir(exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY: str = env.str("SECRET_KEY", default="") or ("" if PRODUCTION else _dev_secret_key())
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Empty counts as unset; `manage.py devstack` (make run) then uses its --host/--port.
_PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="") or "http://127.0.0.1:8000"
PORTAL_BASE_URL: str = _PORTAL_BASE_URL.rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # "2 minutes ago" in live tables
    "django.forms",  # widget templates for portal.forms.PortalFormRenderer
    "django_htmx",
    "ninja",  # the API docs page's own Swagger UI assets, not a CDN's
    "portal",
    "orgs",
    "idp_selfservice",
    "orgs.signup",
    "orgs.monitoring",
    "orgs.auth0logs",
    "orgs.repository",
    "orgs.usermigration",
]

MIDDLEWARE = [
    # First, so every later middleware's and view's log lines carry the request id.
    "portal.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.AccessRecheckMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]
FORM_RENDERER = "portal.forms.PortalFormRenderer"

# --- Database -------------------------------------------------------------------------
# Empty values (a copied .env.example) count as unset.
DATABASE_URL: str = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded stack runs web and worker threads in one process: wait for the write
    # lock instead of failing, and take it at BEGIN so readers never need to upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

# --- Coordination: broker, locks, rate limits, token cache ----------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
COORDINATION_URL = REDIS_URL or "embedded://"

CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT: int = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT: int = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=90)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Task modules autodiscovery (`<app>.tasks`) does not find: orgs/domains/tasks.py.
CELERY_IMPORTS = ("orgs.domains.tasks", "orgs.usermigration.export_tasks")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"orgs.tasks.run_sync_operation": {"queue": "auth0"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers unacked messages after this; keep it above the hard time limit.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, float] = {"visibility_timeout": 3600}
if CELERY_BROKER_URL == "memory://":
    # The in-memory broker (make run without Redis) looks for new tasks once a second when
    # idle: every change a person makes waited up to that long before a worker saw it.
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.1

# --- Auth0 ------------------------------------------------------------------------------
# A bare domain ("tenant.eu.auth0.com") means https; a full URL (the sandbox,
# "http://127.0.0.1:8001") is used as given.
AUTH0_DOMAIN: str = env.str("AUTH0_DOMAIN", default="" if PRODUCTION else "http://127.0.0.1:8001")
AUTH0_MGMT_CLIENT_ID: str = env.str(
    "AUTH0_MGMT_CLIENT_ID", default="" if PRODUCTION else "sandbox-portal-m2m"
)
AUTH0_MGMT_CLIENT_SECRET: str = env.str(
    "AUTH0_MGMT_CLIENT_SECRET", default="" if PRODUCTION else "sandbox-portal-m2m-secret"
)
# The M2M secret before a rotation, tried once when Auth0 refuses the current one, so a
# deploy can carry the new secret before Auth0 accepts it (docs/operations.md).
AUTH0_MGMT_CLIENT_SECRET_PREVIOUS: str = env.str("AUTH0_MGMT_CLIENT_SECRET_PREVIOUS", default="")
AUTH0_MGMT_AUDIENCE: str = env.str("AUTH0_MGMT_AUDIENCE", default="")
AUTH0_LOGIN_CLIENT_ID: str = env.str(
    "AUTH0_LOGIN_CLIENT_ID", default="" if PRODUCTION else "sandbox-portal-login"
)
AUTH0_LOGIN_CLIENT_SECRET: str = env.str(
    "AUTH0_LOGIN_CLIENT_SECRET", default="" if PRODUCTION else "sandbox-portal-login-secret"
)
# Encrypts secret connection options at rest; derived from SECRET_KEY when unset.
FIELD_ENCRYPTION_KEY: str = env.str("FIELD_ENCRYPTION_KEY", default="")
# The rotation form: comma separated, newest first. The first encrypts, any decrypts, and
# `manage.py rotate_encryption_key` moves stored secrets to the first (docs/operations.md).
FIELD_ENCRYPTION_KEYS: list[str] = [
    key for key in env.list("FIELD_ENCRYPTION_KEYS", default=[]) if key.strip()
]
if FIELD_ENCRYPTION_KEYS and FIELD_ENCRYPTION_KEY not in ("", *FIELD_ENCRYPTION_KEYS):
    # Otherwise adding the list would silently drop the key today's secrets are under.
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY is not in FIELD_ENCRYPTION_KEYS: list every key still in use "
        "there (newest first) and unset FIELD_ENCRYPTION_KEY."
    )
AUTH0_RATE_PLAN: str = env.str("AUTH0_RATE_PLAN", default="enterprise")
# "bucket=burst:per_second,..." e.g. "global=10:2,organization_writes=5:1"
AUTH0_RATE_OVERRIDES: str = env.str("AUTH0_RATE_OVERRIDES", default="")
AUTH0_RATE_INTERACTIVE_RESERVE: float = env.float("AUTH0_RATE_INTERACTIVE_RESERVE", default=0.2)
AUTH0_TIMEOUT: float = env.float("AUTH0_TIMEOUT", default=10.0)
# A PEM file of CAs trusted for the tenant besides the usual ones (certifi's): a private
# CA in front of Auth0, or the sandbox over TLS (`python -m sandbox serve --tls`), which
# auth0-deploy-cli needs and the portal then has to trust too.
AUTH0_CA_BUNDLE: str = env.str("AUTH0_CA_BUNDLE", default="")
# The shared database connection organizations with the shared model use.
AUTH0_SHARED_DB_CONNECTION: str = env.str(
    "AUTH0_SHARED_DB_CONNECTION", default="Username-Password-Authentication"
)
AUTH0_STAFF_ORGANIZATION: str = env.str("AUTH0_STAFF_ORGANIZATION", default="staff")
# The URLs the create-organization form suggests ({org} is the short name), comma
# separated; empty counts as unset (orgs.services.url_templates).
ORG_CALLBACK_URL_TEMPLATES: list[str] = env.list("ORG_CALLBACK_URL_TEMPLATES", default=[]) or [
    "https://{org}.app.example.com/callback"
]
ORG_LOGOUT_URL_TEMPLATES: list[str] = env.list("ORG_LOGOUT_URL_TEMPLATES", default=[]) or [
    "https://{org}.app.example.com/"
]
ORG_WEB_ORIGIN_TEMPLATES: list[str] = env.list("ORG_WEB_ORIGIN_TEMPLATES", default=[]) or [
    "https://{org}.app.example.com"
]
STAFF_EMAIL_DOMAINS: list[str] = env.list("STAFF_EMAIL_DOMAINS", default=[])
# The tenant's name in SAML entity ids (urn:auth0:{tenant}:{connection}); by default the
# first label of AUTH0_DOMAIN ("acme" for acme.eu.auth0.com; "sandbox" for the sandbox).
AUTH0_TENANT_NAME: str = env.str("AUTH0_TENANT_NAME", default="")

# --- Self-service SSO (idp_selfservice) ------------------------------------------------------
# Origins (scheme://host:port) exempt from the safe fetcher's https and address rules: the
# sandbox's stand-in IdP in development. Never a customer's address.
IDP_FETCH_ALLOWED_ORIGINS: list[str] = env.list("IDP_FETCH_ALLOWED_ORIGINS", default=[])
IDP_FETCH_TIMEOUT: float = env.float("IDP_FETCH_TIMEOUT", default=10.0)
# What to do when an IdP's metadata URL publishes a new signing certificate: "confirm"
# (the customer admin swaps it) or "auto" (swapped at the old certificate's expiry).
IDP_CERT_ROLLOVER: str = env.str("IDP_CERT_ROLLOVER", default="confirm")
IDP_METADATA_REFRESH_SECONDS: float = env.float("IDP_METADATA_REFRESH_SECONDS", default=86400.0)

# --- Verified domains (orgs.domains) ---------------------------------------------------------
# Name servers asked for verification TXT records ("address" or "address:port"; empty: the
# system's resolv.conf). Tests and local journeys point it at a stub DNS on loopback.
DOMAIN_DNS_NAMESERVERS: list[str] = env.list("DOMAIN_DNS_NAMESERVERS", default=[])
DOMAIN_DNS_TIMEOUT: float = env.float("DOMAIN_DNS_TIMEOUT", default=5.0)

# --- Self sign-up: the flow (orgs.signup, docs/signup.md) ------------------------------------
SIGNUP_ENABLED: bool = env.bool("SIGNUP_ENABLED", default=True)
# Approve-first: a verified sign-up waits for staff before anything reaches Auth0.
SIGNUP_APPROVAL_REQUIRED: bool = env.bool("SIGNUP_APPROVAL_REQUIRED", default=False)
# How a signed-up organization's members sign in: the shared database connection
# ("shared_db") or a database connection of its own ("own_db").
SIGNUP_MEMBERSHIP_MODEL: str = env.str("SIGNUP_MEMBERSHIP_MODEL", default="shared_db")
SIGNUP_VERIFY_HOURS: int = env.int("SIGNUP_VERIFY_HOURS", default=24)
SIGNUP_UNVERIFIED_DAYS: int = env.int("SIGNUP_UNVERIFIED_DAYS", default=7)
SIGNUP_MAX_ORGS_PER_EMAIL: int = env.int("SIGNUP_MAX_ORGS_PER_EMAIL", default=3)
SIGNUP_TERMS_URL: str = env.str("SIGNUP_TERMS_URL", default="https://example.com/terms")
# Recorded with each sign-up: which terms the person accepted.
SIGNUP_TERMS_VERSION: str = env.str("SIGNUP_TERMS_VERSION", default="2026-01")
# Auth0's invitation says "{inviter} has invited you": the person invited themselves.
SIGNUP_INVITER_NAME: str = env.str(
    "SIGNUP_INVITER_NAME", default="The Organization Admin Portal team"
)
# A setup that failed for good is retried on its own this many times, this far apart.
SIGNUP_AUTO_RETRIES: int = env.int("SIGNUP_AUTO_RETRIES", default=3)
SIGNUP_AUTO_RETRY_SECONDS: float = env.float("SIGNUP_AUTO_RETRY_SECONDS", default=600.0)
SIGNUP_WATCH_SECONDS: float = env.float("SIGNUP_WATCH_SECONDS", default=60.0)
# Staff addresses told about what needs a person (a sign-up waiting for approval or failed).
STAFF_ALERT_EMAILS: list[str] = env.list("STAFF_ALERT_EMAILS", default=[])
if SIGNUP_MEMBERSHIP_MODEL not in ("shared_db", "own_db"):
    raise ImproperlyConfigured("SIGNUP_MEMBERSHIP_MODEL must be shared_db or own_db.")

# --- Self sign-up: abuse protection and input rules (orgs.signup) -------------------------
# Work addresses only: "refuse" (default) or "allow" personal mail (gmail.com, ...) and
# throwaway mail (mailinator.com, ...), from the maintained lists the packages ship.
SIGNUP_CONSUMER_EMAILS: str = env.str("SIGNUP_CONSUMER_EMAILS", default="refuse")
SIGNUP_DISPOSABLE_EMAILS: str = env.str("SIGNUP_DISPOSABLE_EMAILS", default="refuse")
# Corrections to those lists, with their subdomains: always allowed (a list's mistake, or
# a customer whose work mail is hosted on a consumer domain) and always refused.
SIGNUP_EMAIL_DOMAINS_ALLOWED: list[str] = env.list("SIGNUP_EMAIL_DOMAINS_ALLOWED", default=[])
SIGNUP_EMAIL_DOMAINS_REFUSED: list[str] = env.list("SIGNUP_EMAIL_DOMAINS_REFUSED", default=[])
# Fixed-window limits, "count/unit" with unit s, m, h or d: sign-ups started per address
# and per email, and the short-name availability check as people type.
SIGNUP_RATE_PER_IP: str = env.str("SIGNUP_RATE_PER_IP", default="5/h")
SIGNUP_RATE_PER_EMAIL: str = env.str("SIGNUP_RATE_PER_EMAIL", default="3/h")
SIGNUP_NAME_CHECK_RATE_PER_IP: str = env.str("SIGNUP_NAME_CHECK_RATE_PER_IP", default="60/m")
# Seconds between two "send the email again" of one sign-up.
SIGNUP_RESEND_COOLDOWN_SECONDS: int = env.int("SIGNUP_RESEND_COOLDOWN_SECONDS", default=60)
# Reverse proxies in front of the portal that append to X-Forwarded-For. 0: the client is
# REMOTE_ADDR, and the header (which anyone can write) is ignored.
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)
# An optional CAPTCHA, off while the verifier is empty: a dotted path to a callable
# (token, remote_ip) -> bool, e.g. orgs.signup.captcha.turnstile_verify.
SIGNUP_CAPTCHA_VERIFIER: str = env.str("SIGNUP_CAPTCHA_VERIFIER", default="")
SIGNUP_CAPTCHA_SITE_KEY: str = env.str("SIGNUP_CAPTCHA_SITE_KEY", default="")
SIGNUP_CAPTCHA_SECRET: str = env.str("SIGNUP_CAPTCHA_SECRET", default="")
SIGNUP_CAPTCHA_SCRIPT_URL: str = env.str(
    "SIGNUP_CAPTCHA_SCRIPT_URL", default="https://challenges.cloudflare.com/turnstile/v0/api.js"
)
# The form field the widget posts its token in (Turnstile's name by default).
SIGNUP_CAPTCHA_FIELD: str = env.str("SIGNUP_CAPTCHA_FIELD", default="cf-turnstile-response")

# --- Offboarding API (orgs.api) ------------------------------------------------------------
# Calls each API key may make per minute (a fixed window kept in the coordination store).
API_RATE_LIMIT_PER_MINUTE: int = env.int("API_RATE_LIMIT_PER_MINUTE", default=60)

# --- Tenant checks, alerts and synthetic sign-in (orgs.monitoring, docs/operations.md) -----
# How often the tenant's setup is checked (email provider, log streams, staff organization
# and roles, the M2M application's scopes): it changes rarely and each run costs a few reads.
TENANT_CHECK_SECONDS: float = env.float("TENANT_CHECK_SECONDS", default=3600.0)
# How often alert conditions are evaluated; each alert notifies once until it clears.
ALERT_EVALUATE_SECONDS: float = env.float("ALERT_EVALUATE_SECONDS", default=60.0)
# A lane whose oldest queued operation waited longer than this is stuck: alert.
ALERT_BACKLOG_SECONDS: float = env.float("ALERT_BACKLOG_SECONDS", default=600.0)
# An IdP signing certificate expiring within this many days (or expired) alerts staff,
# beside the notices the organization's admins get.
ALERT_CERTIFICATE_DAYS: int = env.int("ALERT_CERTIFICATE_DAYS", default=14)
# Optional: alerts are also POSTed as JSON here (a chat or paging webhook). The URL may
# carry a secret, so it is never logged.
ALERT_WEBHOOK_URL: str = env.str("ALERT_WEBHOOK_URL", default="")
# The synthetic sign-in (off by default): a no-privilege test user signs in with the
# Resource Owner Password grant every SYNTHETIC_SIGNIN_SECONDS, so a broken login is
# noticed before customers report it. The client needs the password-realm grant type.
SYNTHETIC_SIGNIN_ENABLED: bool = env.bool("SYNTHETIC_SIGNIN_ENABLED", default=False)
SYNTHETIC_SIGNIN_SECONDS: float = env.float("SYNTHETIC_SIGNIN_SECONDS", default=300.0)
SYNTHETIC_SIGNIN_CONNECTION: str = env.str(
    "SYNTHETIC_SIGNIN_CONNECTION", default="Username-Password-Authentication"
)
SYNTHETIC_SIGNIN_CLIENT_ID: str = env.str("SYNTHETIC_SIGNIN_CLIENT_ID", default="")
SYNTHETIC_SIGNIN_CLIENT_SECRET: str = env.str("SYNTHETIC_SIGNIN_CLIENT_SECRET", default="")
SYNTHETIC_SIGNIN_USERNAME: str = env.str("SYNTHETIC_SIGNIN_USERNAME", default="")
SYNTHETIC_SIGNIN_PASSWORD: str = env.str("SYNTHETIC_SIGNIN_PASSWORD", default="")
# Attempts older than this are deleted (one every five minutes is ~2,000 rows a week).
SYNTHETIC_SIGNIN_KEEP_DAYS: int = env.int("SYNTHETIC_SIGNIN_KEEP_DAYS", default=7)

# --- Sync engine -------------------------------------------------------------------------
SYNC_MAX_ATTEMPTS: int = env.int("SYNC_MAX_ATTEMPTS", default=12)
SYNC_LEASE_SECONDS: int = env.int("SYNC_LEASE_SECONDS", default=180)
# A handler still running after this is stopped before its next write (the thread pool
# ignores Celery's time limits, so the engine enforces its own).
SYNC_HANDLER_TIME_LIMIT: float = env.float("SYNC_HANDLER_TIME_LIMIT", default=90.0)
SYNC_SWEEP_SECONDS: float = env.float("SYNC_SWEEP_SECONDS", default=10.0)
# Succeeded operations finished longer ago than this move to the archive (orgs.sync.archive).
SYNC_ARCHIVE_DAYS: int = env.int("SYNC_ARCHIVE_DAYS", default=90)
# A finished export of an organization's users (its file of personal data) is erased this
# many days after it was ready (orgs.usermigration.exports.expire_old_exports, daily).
USER_EXPORT_KEEP_DAYS: int = env.int("USER_EXPORT_KEEP_DAYS", default=7)
# User migration (orgs.usermigration): import jobs one migration keeps running at once
# (Auth0 allows a tenant two; a 429 beyond is waited out), and how long a password link
# (a password-change ticket mailed to a user imported without a usable hash) works.
USER_MIGRATION_CONCURRENT_JOBS: int = env.int("USER_MIGRATION_CONCURRENT_JOBS", default=2)
USER_MIGRATION_LINK_TTL_SECONDS: int = env.int(
    "USER_MIGRATION_LINK_TTL_SECONDS", default=7 * 24 * 3600
)
# A users file never confirmed is discarded after this many days, and a finished
# migration's failed jobs can be tried again for as long (then their users' data goes).
USER_MIGRATION_KEEP_DAYS: int = env.int("USER_MIGRATION_KEEP_DAYS", default=7)
RECONCILE_SECONDS: float = env.float("RECONCILE_SECONDS", default=3600.0)
# Beat's reconcile repairs drift (records the operations) instead of only reporting it.
RECONCILE_FIX: bool = env.bool("RECONCILE_FIX", default=False)

# --- Organizations as code: repository mode (orgs.repository, docs/deploy.md) -------------
# "live": changes are recorded and pushed through the engine only (history from the audit
# trail). "repository": every saved change is also a commit in ORG_CONFIG_REPOSITORY, in
# deploy-cli's directory format, and deploys apply the repository's head.
ORG_CONFIG_MODE: str = env.str("ORG_CONFIG_MODE", default="live")
if ORG_CONFIG_MODE not in ("live", "repository"):
    raise ImproperlyConfigured("ORG_CONFIG_MODE must be 'live' or 'repository'.")
# The working repository (created on first use); relative paths are under BASE_DIR.
_org_config_repository = env.str("ORG_CONFIG_REPOSITORY", default="")
ORG_CONFIG_REPOSITORY: Path = (
    BASE_DIR / _org_config_repository if _org_config_repository else VAR_DIR / "org-config"
)
# Where a deploy pulls outside changes from and pushes to (a URL or a path); empty: none.
ORG_CONFIG_REMOTE: str = env.str("ORG_CONFIG_REMOTE", default="")
ORG_CONFIG_BRANCH: str = env.str("ORG_CONFIG_BRANCH", default="main")
# Deploy with this command instead of the engine, `{dir}` being the repository's working
# tree, e.g. `a0deploy import -c config.json -i {dir}`; empty: plan/apply through the engine.
ORG_CONFIG_DEPLOY_COMMAND: str = env.str("ORG_CONFIG_DEPLOY_COMMAND", default="")
# A deploy command still running after this is stopped and the deploy fails.
ORG_CONFIG_DEPLOY_TIMEOUT: float = env.float("ORG_CONFIG_DEPLOY_TIMEOUT", default=900.0)
# Beat retries changes whose commit failed this often (a deploy retries them first too).
ORG_CONFIG_COMMIT_RETRY_SECONDS: float = env.float("ORG_CONFIG_COMMIT_RETRY_SECONDS", default=60.0)

# --- Auth0 log archive (orgs.auth0logs) ----------------------------------------------------
# Auth0 keeps the tenant's logs 2 to 30 days, so beat copies them into our database every
# AUTH0_LOG_ARCHIVE_SECONDS (checkpoint paging: only what is new since the last run).
AUTH0_LOG_ARCHIVE_SECONDS: float = env.float("AUTH0_LOG_ARCHIVE_SECONDS", default=300.0)
# How long we keep them (days, by the event's date); 0 keeps them for ever.
AUTH0_LOG_RETENTION_DAYS: int = env.int("AUTH0_LOG_RETENTION_DAYS", default=90)
# Pages of 100 events one run reads at most (it also stops after a minute), so a long
# backlog moves in runs that each free the worker; a run cut short sends the next at once.
AUTH0_LOG_ARCHIVE_MAX_PAGES: int = env.int("AUTH0_LOG_ARCHIVE_MAX_PAGES", default=50)
CELERY_BEAT_SCHEDULE = {
    "sweep-sync-operations": {
        "task": "orgs.tasks.sweep_sync_operations",
        "schedule": SYNC_SWEEP_SECONDS,
        "options": {"queue": "default", "expires": SYNC_SWEEP_SECONDS},
    },
    "reconcile-auth0": {
        "task": "orgs.tasks.reconcile_all",
        "schedule": RECONCILE_SECONDS,
        "options": {"queue": "default", "expires": RECONCILE_SECONDS},
    },
    "archive-sync-operations": {
        "task": "orgs.tasks.archive_sync_operations",
        "schedule": 24 * 3600.0,
        "options": {"queue": "default", "expires": 3600.0},
    },
    "refresh-idp-metadata": {
        "task": "idp_selfservice.tasks.refresh_idp_metadata",
        "schedule": IDP_METADATA_REFRESH_SECONDS,
        "options": {"queue": "default", "expires": IDP_METADATA_REFRESH_SECONDS},
    },
    "recheck-verified-domains": {
        "task": "orgs.domains.tasks.recheck_verified_domains",
        "schedule": 24 * 3600.0,
        "options": {"queue": "default", "expires": 3600.0},
    },
    "watch-signups": {
        "task": "orgs.signup.tasks.watch_signups",
        "schedule": SIGNUP_WATCH_SECONDS,
        "options": {"queue": "default", "expires": SIGNUP_WATCH_SECONDS},
    },
    "run-tenant-checks": {
        "task": "orgs.monitoring.tasks.run_tenant_checks",
        "schedule": TENANT_CHECK_SECONDS,
        "options": {"queue": "default", "expires": TENANT_CHECK_SECONDS},
    },
    "evaluate-alerts": {
        "task": "orgs.monitoring.tasks.evaluate_alerts",
        "schedule": ALERT_EVALUATE_SECONDS,
        "options": {"queue": "default", "expires": ALERT_EVALUATE_SECONDS},
    },
    # Scheduled always; the task returns at once while SYNTHETIC_SIGNIN_ENABLED is off.
    "synthetic-signin": {
        "task": "orgs.monitoring.tasks.synthetic_signin",
        "schedule": SYNTHETIC_SIGNIN_SECONDS,
        "options": {"queue": "default", "expires": SYNTHETIC_SIGNIN_SECONDS},
    },
    # Returns at once in live mode or when nothing waits to be committed.
    "retry-config-commits": {
        "task": "orgs.repository.tasks.retry_config_commits",
        "schedule": ORG_CONFIG_COMMIT_RETRY_SECONDS,
        "options": {"queue": "default", "expires": ORG_CONFIG_COMMIT_RETRY_SECONDS},
    },
    "expire-user-migrations": {
        "task": "orgs.usermigration.tasks.expire_user_migrations",
        "schedule": 24 * 3600.0,
        "options": {"queue": "default", "expires": 3600.0},
    },
    "expire-user-exports": {
        "task": "orgs.usermigration.export_tasks.expire_user_exports",
        "schedule": 24 * 3600.0,
        "options": {"queue": "default", "expires": 3600.0},
    },
    "archive-auth0-logs": {
        "task": "orgs.auth0logs.tasks.archive_auth0_logs",
        "schedule": AUTH0_LOG_ARCHIVE_SECONDS,
        # A batch: the bulk lane, so its Management API reads yield to people.
        "options": {"queue": "auth0-bulk", "expires": AUTH0_LOG_ARCHIVE_SECONDS},
    },
}

# --- Operations: probes and metrics (portal/health.py, portal/metrics.py, docs/operations.md)
# Workers write a heartbeat this often; /readyz wants one younger than three intervals for
# every queue.
WORKER_HEARTBEAT_SECONDS: float = env.float("WORKER_HEARTBEAT_SECONDS", default=15.0)
# /readyz's Auth0 check (a token and one cheap read) is shared by every process for this
# long, so a load balancer polling each second does not spend the Management API budget.
READYZ_AUTH0_CACHE_SECONDS: float = env.float("READYZ_AUTH0_CACHE_SECONDS", default=30.0)
# A probe must answer before the load balancer gives up: the broker gets this long.
READYZ_BROKER_TIMEOUT: float = env.float("READYZ_BROKER_TIMEOUT", default=2.0)
# Who may read /metrics without a staff session (CIDRs; the client address is
# orgs.signup.ratelimits.client_ip's, so TRUSTED_PROXY_COUNT applies). Others get a 404.
METRICS_ALLOWED_NETWORKS: list[str] = env.list(
    "METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"]
)
# prometheus_client's own variable: a directory every process of one host (gunicorn
# workers, Celery children) writes its metrics to, read whole at scrape time. Empty: one
# process, metrics in memory (make run).
PROMETHEUS_MULTIPROC_DIR: str = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# A Celery worker serves its own metrics on this port (0: not served); its tasks and Auth0
# calls happen outside gunicorn, so web's /metrics cannot see them.
WORKER_METRICS_PORT: int = env.int("WORKER_METRICS_PORT", default=0)

# --- Web --------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)


def _default_email_backend() -> str:
    """SMTP in production. In development, the sandbox's outbox when AUTH0_DOMAIN is the
    sandbox (served over plain http, which a real tenant never is and production refuses),
    so the portal's emails sit beside the tenant's; files under var/emails otherwise."""
    if PRODUCTION:
        return "django.core.mail.backends.smtp.EmailBackend"
    if AUTH0_DOMAIN.startswith("http://"):
        return "portal.mail.SandboxOutboxBackend"
    return "django.core.mail.backends.filebased.EmailBackend"


EMAIL_BACKEND: str = env.str("EMAIL_BACKEND", default="") or _default_email_backend()
EMAIL_FILE_PATH = VAR_DIR / "emails"
EMAIL_HOST: str = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT: int = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER: str = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD: str = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS: bool = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")

LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
# "plain" lines for people, "json" (one object a line) for a log pipeline; both redacted.
LOG_FORMAT: str = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Request, task and operation ids on every record (portal/log_context.py).
    "filters": {"log_context": {"()": "portal.log_context.LogContextFilter"}},
    "formatters": {
        # Redacts the whole line, traceback included (portal/logging.py).
        "plain": {
            "class": "portal.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s%(log_context)s: %(message)s",
        },
        # Redacts every value: message, traceback and each extra field.
        "json": {
            "()": "portal.logging.RedactingJsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["log_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # httpx logs full URLs at INFO; tokens never travel in URLs, but keep it quiet.
        "httpx": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}
