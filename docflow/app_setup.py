"""Wiring for ``create_app``: extensions, engine tuning, request hooks, blueprints, CLI."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from docflow.extensions import babel, csrf, db, login_manager, migrate

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SessionInterface(SecureCookieSessionInterface):
    """``Secure`` cookies whenever the request came over HTTPS, unless configured explicitly."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config.get("SESSION_COOKIE_SECURE")
        if configured is not None:
            return bool(configured)
        return bool(request) and request.is_secure


def setup_app(app: Flask) -> None:
    app.config.setdefault("PASSWORD_HASH_METHOD", "scrypt")
    app.config.setdefault("EXTRACTION_MODE", "thread")
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.session_interface = SessionInterface()
    from docflow.api.safe_input import install as install_safe_input

    install_safe_input(app)  # JSON, forms and query strings of every request read safely

    _engine_options(app)
    db.init_app(app)
    _import_models()
    migrate.init_app(app, db, directory=MIGRATIONS)
    csrf.init_app(app)
    from docflow.i18n import select_locale, select_timezone

    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    _setup_login(app)
    with app.app_context():
        from docflow.core.db import configure_engine

        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        from docflow.registry.search import configure_engine as configure_search

        configure_search(db.engine)

    _setup_request_hooks(app)
    from docflow.core.access_log import init_app as mask_identifiers_in_logs

    mask_identifiers_in_logs(app)  # R-PD-1
    _register_blueprints(app)
    _register_cli(app)
    from docflow.errors import register_error_handlers

    register_error_handlers(app)
    from docflow.i18n import template_helpers

    app.context_processor(template_helpers)


def _engine_options(app: Flask) -> None:
    """A server database: pooled connections are tested before use (``pool_pre_ping``), so the
    app recovers by itself when the database restarts; a connection attempt gives up after
    ``DATABASE_CONNECT_TIMEOUT`` seconds (503 meanwhile, see docflow/errors.py), never hangs."""
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.startswith("sqlite"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", app.config.get("DATABASE_CONNECT_TIMEOUT", 10))
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _import_models() -> None:
    # Every model module, so metadata (and Alembic autogenerate) sees the whole schema.
    import docflow.analytics.facts
    import docflow.analytics.models
    import docflow.core.access_log
    import docflow.core.audit
    import docflow.core.numbering
    import docflow.core.saved_search
    import docflow.core.settings
    import docflow.core.tasks
    import docflow.core.workflow
    import docflow.exchange.models
    import docflow.exchange.wiring
    import docflow.inspection.models
    import docflow.inspection.workflow
    import docflow.org.admin_models
    import docflow.org.models
    import docflow.org.substitutes
    import docflow.outgoing.approval
    import docflow.outgoing.dispatch_models
    import docflow.outgoing.docx_templates
    import docflow.outgoing.letters
    import docflow.outgoing.models
    import docflow.outgoing.public_models
    import docflow.protocols.models
    import docflow.protocols.signup_rules  # R-RECV-6/-9/-11 guards on the reception workflows
    import docflow.protocols.signup_rules_models
    import docflow.protocols.workflow
    import docflow.registry.file_versions
    import docflow.registry.models
    import docflow.registry.oral
    import docflow.registry.workflow
    import docflow.routing.models
    import docflow.routing.operations
    import docflow.routing.workflow
    import docflow.worker_tasks  # noqa: F401  (the background tasks: docflow.core.tasks)


def _setup_login(app: Flask) -> None:
    from docflow.org.models import User

    login_manager.init_app(app)
    login_manager.login_view = "org.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"

    @login_manager.unauthorized_handler
    def unauthorized():
        # As Flask-Login's own, but an IIN/BIN in the query never goes into ?next= (R-PD-1).
        from flask import flash, redirect, request
        from flask_login import login_url

        from docflow.core.audit import contains_identifier

        target = request.full_path.rstrip("?")
        if contains_identifier(target):
            target = request.path
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=target))

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        from sqlalchemy import select

        if not token or len(token) > 64:
            return None
        return db.session.scalar(select(User).where(User.session_token == token, User.active))


def _setup_request_hooks(app: Flask) -> None:
    from docflow.core import audit
    from docflow.core.db import set_sqlite_begin_mode

    @app.before_request
    def _begin() -> None:
        set_sqlite_begin_mode(
            "DEFERRED" if request.method in ("GET", "HEAD", "OPTIONS") else "IMMEDIATE"
        )
        rid = request.headers.get("X-Request-ID", "")
        g.request_id = rid if _REQUEST_ID.match(rid) else audit.new_request_id()
        audit.set_request_id(g.request_id)
        audit.set_actor(audit.SYSTEM)
        if current_user.is_authenticated:
            audit.set_actor(audit.Actor(current_user.id, current_user.display_name))

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if current_user.is_authenticated or request.endpoint in ("org.login",):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def _end(_exc: BaseException | None) -> None:
        # End whatever transaction a lazy load opened after the view's commit, so no request
        # leaves a (write-locking) transaction behind. Uncommitted work is discarded, as always.
        db.session.rollback()
        set_sqlite_begin_mode("IMMEDIATE")
        audit.set_actor(audit.SYSTEM)
        audit.set_request_id(None)


def _register_blueprints(app: Flask) -> None:
    import docflow.main.queue_views  # the queue pages, on the main blueprint
    from docflow.main.blueprint import bp as main_bp
    from docflow.org.blueprint import bp as org_bp
    from docflow.registry.blueprint import bp as registry_bp

    app.register_blueprint(main_bp)
    from docflow.analytics.views import bp as analytics_bp

    app.register_blueprint(analytics_bp)
    import docflow.org.admin_settings_views
    import docflow.org.admin_views  # the admin pages, on the org blueprint
    import docflow.org.substitutes_views  # the substitutes page, on the org blueprint

    app.register_blueprint(org_bp)
    import docflow.registry.file_views  # (files and scans, on the registry blueprint)
    import docflow.registry.item_actions  # (item actions, on the registry blueprint)
    import docflow.registry.oral_views  # (oral and phone appeals, R-REG-2)
    import docflow.registry.public_status_views  # (/public/status, on the public blueprint)

    app.register_blueprint(registry_bp)
    import docflow.routing.repeat_views
    from docflow.routing.blueprint import bp as routing_bp

    app.register_blueprint(routing_bp)
    import docflow.protocols.views
    from docflow.protocols.blueprint import bp as protocols_bp
    from docflow.protocols.blueprint import public_bp

    app.register_blueprint(protocols_bp)
    app.register_blueprint(public_bp)
    from docflow.outgoing.views import bp as outgoing_bp

    app.register_blueprint(outgoing_bp)
    import docflow.inspection.views_remediation  # routes on the inspection blueprint
    from docflow.inspection.views import bp as inspection_bp

    app.register_blueprint(inspection_bp)
    from docflow.outgoing.letter_views import bp as letters_bp

    app.register_blueprint(letters_bp)
    from docflow.outgoing.template_views import bp as letter_templates_bp

    app.register_blueprint(letter_templates_bp)
    from docflow.outgoing.dispatch_views import bp as dispatch_bp
    from docflow.outgoing.public_views import bp as verification_bp

    app.register_blueprint(dispatch_bp)
    app.register_blueprint(verification_bp)  # /v/<id>/<hash>: the letters' QR codes, no login
    import docflow.outgoing.dispatch_api
    import docflow.outgoing.letters_api
    import docflow.registry.api
    import docflow.registry.links_api
    import docflow.routing.api  # noqa: F401  (routes on the API blueprint)
    from docflow.api import bp as api_bp

    app.register_blueprint(api_bp)


def _register_cli(app: Flask) -> None:
    from docflow.cli import register_cli

    register_cli(app)
