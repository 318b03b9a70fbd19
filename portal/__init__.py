"""The Coordinoter business portal: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Create the portal: configuration, extensions, blueprints, CLI and error pages."""
    from portal.calendar.poll_gate import install_poll_gate
    from portal.core.canonical_host import install_canonical_host
    from portal.core.headers import install_security_headers
    from portal.google.realtime.directory import install_session_hooks
    from portal.google.realtime.webhook import install_notify_endpoint
    from portal.google.worker.enqueue import install_push_hook
    from portal.mail.outbox import install_mail_hook

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    configure(app, config)
    init_extensions(app)
    install_session_hooks()
    install_push_hook()
    install_mail_hook()
    install_canonical_host(app)
    register_blueprints(app)
    register_template_filters(app)
    register_cli(app)
    register_error_pages(app)
    install_notify_endpoint(app)
    # Beside the webhook, in front of Flask: an unchanged week poll costs one Redis read.
    install_poll_gate(app)
    # Last: its middleware wraps everything above, the webhook included.
    install_security_headers(app)
    return app


def configure(app: Flask, overrides: dict | None) -> None:
    """Load configuration from the environment, then apply explicit overrides (tests)."""
    from portal.config import load_config

    env = None
    if overrides and overrides.get("TESTING"):
        # Tests must not need production secrets in the environment.
        import os

        env = {**os.environ, "COORDINOTER_ENV": "test"}
    app.config.update(load_config(env, app.instance_path))
    app.config.update(overrides or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from portal.core.forms import IdConverter

    # Before any route is added: every <int:…> id stays within the database's integers.
    app.url_map.converters["int"] = IdConverter
    _warn_if_google_cannot_notify(app)
    if app.config["ENV_NAME"] == "production" and not app.config.get("SMTP_URL"):
        app.logger.warning("SMTP_URL is not set: no email is sent (kept as not configured)")
    if not app.debug and not app.testing:
        from portal.core.logs import configure_logging

        configure_logging(app)


def _warn_if_google_cannot_notify(app: Flask) -> None:
    """In production, say at start-up when Google's notifications cannot reach the webhook."""
    from portal.google.intervals import SAFETY_NET_AFTER, in_words
    from portal.google.realtime.address import webhook_reach

    if app.config["ENV_NAME"] == "production" and webhook_reach(app.config) is None:
        app.logger.warning(
            "PUBLIC_BASE_URL %s is not https: Google will not deliver push notifications, "
            "so Google changes arrive only with the safety-net pull, within %s",
            app.config["PUBLIC_BASE_URL"],
            in_words(SAFETY_NET_AFTER),
        )


def init_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from portal import models  # noqa: F401  (models must be imported before Migrate sees them)
    from portal.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    from portal.auth.sessions import load_user
    from portal.google.account import oauth

    login_manager.user_loader(load_user)
    oauth.init_app(app)

    from portal.auth.throttle import install_login_throttle
    from portal.core.proxies import install_proxy_fix

    install_proxy_fix(app)
    install_login_throttle(app)


def register_blueprints(app: Flask) -> None:
    """Attach each feature's routes."""
    from portal.auth.routes import bp as auth_bp
    from portal.calendar.google_routes import bp as calendar_google_bp
    from portal.calendar.routes import bp as calendar_bp
    from portal.core.routes import bp as core_bp
    from portal.integrations.google_routes import bp as google_bp
    from portal.integrations.routes import bp as integrations_bp
    from portal.participants.routes import bp as participants_bp
    from portal.settings.routes import bp as settings_bp
    from portal.team.routes import bp as team_bp

    for blueprint in (
        core_bp,
        auth_bp,
        calendar_bp,
        calendar_google_bp,
        participants_bp,
        integrations_bp,
        google_bp,
        team_bp,
        settings_bp,
    ):
        app.register_blueprint(blueprint)


def register_template_filters(app: Flask) -> None:
    """Add the portal's Jinja filters: `description` shows a Google event description safely;
    `moment` writes an instant in a zone the one way coordinators read times (2:00 pm)."""
    from portal.calendar.description import render_description
    from portal.core.timezones import format_moment

    app.add_template_filter(render_description, "description")
    app.add_template_filter(format_moment, "moment")


def register_cli(app: Flask) -> None:
    """Add the project's flask commands (worker, scheduler, google …)."""
    from portal.cli import register

    register(app)


def register_error_pages(app: Flask) -> None:
    """Render errors as pages (or fragments) instead of stack traces."""
    from portal.core.errors import register

    register(app)
