"""Configuration read from the environment (twelve-factor), once, inside create_app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from portal.core.keys import development_keys, weak_key_problems

GOOGLE_DEFAULTS = {
    "GOOGLE_AUTH_URI": "https://accounts.google.com/o/oauth2/v2/auth",
    "GOOGLE_TOKEN_URI": "https://oauth2.googleapis.com/token",
    "GOOGLE_REVOKE_URI": "https://oauth2.googleapis.com/revoke",
    "GOOGLE_USERINFO_URI": "https://openidconnect.googleapis.com/v1/userinfo",
    "GOOGLE_CALENDAR_API_URI": "https://www.googleapis.com/calendar/v3",
    "GOOGLE_BATCH_URI": "https://www.googleapis.com/batch/calendar/v3",
}

# Paths Google serves each endpoint at; the emulator serves the same paths on one origin.
GOOGLE_PATHS = {
    "GOOGLE_AUTH_URI": "/o/oauth2/v2/auth",
    "GOOGLE_TOKEN_URI": "/token",
    "GOOGLE_REVOKE_URI": "/revoke",
    "GOOGLE_USERINFO_URI": "/v1/userinfo",
    "GOOGLE_CALENDAR_API_URI": "/calendar/v3",
    "GOOGLE_BATCH_URI": "/batch/calendar/v3",
}

SYNC_TUNING = {
    "GOOGLE_JOB_RETRY_INTERVALS": "5,30,120,600,1800",
    "GOOGLE_HTTP_TIMEOUT": "30",
    "GOOGLE_HTTP_RETRIES": "3",
    "GOOGLE_CHANNEL_TTL": str(7 * 24 * 3600),
    # The budget for Google calls (account/budget.py): token buckets refilled at these rates
    # a minute and holding the burst, so any 60 s see at most rate + burst calls: 9,000 of the
    # project's 10,000, 550 of each user's 600. A call waits at most GOOGLE_QUOTA_MAX_WAIT (s)
    # for a token, then the job is retried later; `flask google quota` shows the daily count.
    "GOOGLE_PROJECT_QUOTA_PER_MINUTE": "8000",
    "GOOGLE_PROJECT_BURST": "1000",
    "GOOGLE_USER_QUOTA_PER_MINUTE": "450",
    "GOOGLE_USER_BURST": "100",
    "GOOGLE_QUOTA_MAX_WAIT": "10",
    "GOOGLE_DAILY_THRESHOLD": "1000000",
    "GOOGLE_SILENCE_GRACE": "60",
    # Notifications closer than this (seconds) to the previous one are a burst: the follow-up
    # pull waits until none came for GOOGLE_BURST_QUIET, or at most GOOGLE_BURST_MAX_WAIT.
    "GOOGLE_BURST_GAP": "0.25",
    "GOOGLE_BURST_QUIET": "1",
    "GOOGLE_BURST_MAX_WAIT": "10",
    # A notified pull that finds nothing looks once more this many seconds later.
    "GOOGLE_LATE_LOOK": "3",
    # Scale (worker/safety_net.py, worker/housekeeping.py): the safety net's mean interval for
    # a healthy live channel (s), due connections enqueued per clock tick and per Redis round
    # trip, channels renewed or stopped per scan, and how long rows and failed jobs are kept.
    "GOOGLE_HEALTHY_PULL_EVERY": str(150 * 60),
    "GOOGLE_TICK_CAP": "1000",
    "GOOGLE_ENQUEUE_BATCH": "200",
    "GOOGLE_CHANNEL_SCAN_CAP": "500",
    "GOOGLE_OUTBOX_KEEP_DAYS": "14",
    "GOOGLE_ACTIVITY_KEEP_DAYS": "30",
    "GOOGLE_CONFLICT_KEEP_DAYS": "365",
    "GOOGLE_PRUNE_BATCH": "5000",
    "GOOGLE_FAILED_JOB_DAYS": "7",
    "MAIL_KEEP_DAYS": "90",
}


def sync_tuning(config: Mapping[str, Any], name: str) -> float:
    """One of SYNC_TUNING's settings from an app's configuration, as a number."""
    return float(config.get(name, SYNC_TUNING[name]))


# Tests run on these fixed keys; development generates its own (core/keys.py); production
# must set real ones and is refused these.
TEST_SECRET_KEY = "test-secret"
TEST_TOKEN_KEY = "ZGV2LW9ubHktdG9rZW4ta2V5LW5vdC1zZWNyZXQtMDA="


class ConfigError(RuntimeError):
    """Raised when the environment lacks a setting production needs."""


def database_url(raw: str | None, instance_path: str) -> str:
    """Return an SQLAlchemy URL, rewriting Heroku's postgres:// and defaulting to SQLite."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "coordinoter.sqlite3")
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    return raw


def _flag(raw: str | None, default: bool) -> bool:
    """An on/off environment variable: 1/true/yes/on, or the default when unset or empty."""
    if not raw:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def google_endpoints(env: Mapping[str, str]) -> dict[str, str]:
    """Return Google's endpoint URLs, all pointed at one origin when GOOGLE_EMULATOR_URL is set."""
    emulator = env.get("GOOGLE_EMULATOR_URL", "").rstrip("/")
    if emulator:
        return {key: emulator + path for key, path in GOOGLE_PATHS.items()}
    return {key: env.get(key) or default for key, default in GOOGLE_DEFAULTS.items()}


def load_config(env: Mapping[str, str] | None = None, instance_path: str = "instance") -> dict:
    """Build the Flask configuration mapping from environment variables."""
    env = os.environ if env is None else env
    mode = env.get("COORDINOTER_ENV", env.get("FLASK_ENV", "production"))
    keys = default_keys(mode, instance_path)
    config: dict[str, Any] = {
        "ENV_NAME": mode,
        "SECRET_KEY": env.get("SECRET_KEY") or keys.get("SECRET_KEY"),
        "TOKEN_ENCRYPTION_KEY": env.get("TOKEN_ENCRYPTION_KEY") or keys.get("TOKEN_ENCRYPTION_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "REDIS_URL": env.get("REDIS_URL", "redis://localhost:6379/0"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/"),
        "GOOGLE_CLIENT_ID": env.get("GOOGLE_CLIENT_ID") or None,
        "GOOGLE_CLIENT_SECRET": env.get("GOOGLE_CLIENT_SECRET") or None,
        "GOOGLE_EMULATOR_URL": env.get("GOOGLE_EMULATOR_URL") or None,
        "RQ_QUEUE": env.get("RQ_QUEUE", "coordinoter"),
        # SQL errors are logged without their parameters: they hold names, notes, NDIS numbers.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # werkzeug's password hash (auth/accounts.py). Not read from the environment: nothing
        # in production should weaken it; the test suite alone sets a cheap one.
        "PASSWORD_HASH_METHOD": "scrypt",
        # Rendered week regions each web process keeps (calendar/week_cache.py); 0: none.
        "WEEK_CACHE_BYTES": int(env.get("WEEK_CACHE_BYTES", 16 * 1024 * 1024)),
        **_web_settings(env, mode),
        **_mail_settings(env, mode),
        **google_endpoints(env),
    }
    # Sync tuning; the defaults suit production, tests and benchmarks shorten them.
    for key, default in SYNC_TUNING.items():
        config[key] = env.get(key, default)
    _refuse_missing_or_weak_keys(config, relaxed=mode in ("development", "test"))
    return config


def _web_settings(env: Mapping[str, str], mode: str) -> dict[str, Any]:
    """Cookies, CSRF, log-in limits, proxies, the development host redirect and logging."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("PUBLIC_BASE_URL", "").startswith("https://"),
        # A CSRF token lasts a working day; it is replaced at every login (auth/sessions.py).
        "WTF_CSRF_TIME_LIMIT": int(env.get("CSRF_TOKEN_SECONDS", 8 * 3600)),
        # Failed log-ins allowed per account and per client address (auth/throttle.py).
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 5 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 5 minutes"),
        # Failed password changes (a wrong current password) allowed per account.
        "PASSWORD_CHANGE_LIMIT": env.get("PASSWORD_CHANGE_LIMIT", "5 per 15 minutes"),
        # Proxies in front of the web process whose X-Forwarded-For is believed (the router).
        "TRUSTED_PROXY_HOPS": int(
            env.get("TRUSTED_PROXY_HOPS", 0 if mode in ("development", "test") else 1)
        ),
        # In development, a page opened at another host name is sent to PUBLIC_BASE_URL's host
        # first (core/canonical_host.py), so Google's sign-in returns to the same session.
        "CANONICAL_HOST_REDIRECT": _flag(env.get("CANONICAL_HOST_REDIRECT"), mode == "development"),
        # Routine lines (the live poll's requests, every job started and finished) are quiet
        # unless VERBOSE is set (core/logs.py).
        "VERBOSE_LOGS": _flag(env.get("VERBOSE"), False),
    }


def _mail_settings(env: Mapping[str, str], mode: str) -> dict[str, Any]:
    """Email (portal/mail/): the SMTP server, the sender, tries, and the links mail carries."""
    sender = "Coordinoter <no-reply@localhost>" if mode in ("development", "test") else ""
    return {
        # smtp://user:password@host:port (STARTTLS when offered) or smtps:// (TLS on connect);
        # unset: every mail is still written, as not configured, and none is sent.
        "SMTP_URL": env.get("SMTP_URL") or None,
        # A PEM file of certificates to trust for the SMTP server instead of the system's.
        "SMTP_CA_FILE": env.get("SMTP_CA_FILE") or None,
        "MAIL_FROM": env.get("MAIL_FROM") or sender or None,
        # RQ's retries of a failed send (s); then the clock's sweep tries until MAIL_MAX_ATTEMPTS.
        "MAIL_RETRY_INTERVALS": env.get("MAIL_RETRY_INTERVALS", "30,120,600,1800,3600"),
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", 24)),
        # A reset link works once, for this long (at most an hour).
        "PASSWORD_RESET_SECONDS": min(3600, int(env.get("PASSWORD_RESET_SECONDS", 3600))),
        # A colleague's invitation link works once, for this many days.
        "INVITE_DAYS": int(env.get("INVITE_DAYS", 3)),
        "RESET_LIMIT_PER_ACCOUNT": env.get("RESET_LIMIT_PER_ACCOUNT", "3 per hour"),
        "RESET_LIMIT_PER_ADDRESS": env.get("RESET_LIMIT_PER_ADDRESS", "20 per hour"),
    }


def _refuse_missing_or_weak_keys(config: Mapping[str, Any], relaxed: bool) -> None:
    """Production must set both keys, and strong ones; dev and test have their own."""
    missing = [key for key in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY") if not config[key]]
    if missing:
        raise ConfigError(f"Set {', '.join(missing)} in the environment (required in production).")
    weak = [] if relaxed else weak_key_problems(config)
    if weak:
        raise ConfigError("Refusing weak keys: " + "; ".join(weak) + ".")


def default_keys(mode: str, instance_path: str) -> dict[str, str]:
    """The keys used when the environment sets none: fixed for tests, per checkout in dev."""
    if mode == "test":
        return {"SECRET_KEY": TEST_SECRET_KEY, "TOKEN_ENCRYPTION_KEY": TEST_TOKEN_KEY}
    if mode == "development":
        return development_keys(instance_path)
    return {}
