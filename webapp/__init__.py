"""Rounds: offline-first patrols, inspections and the key register for residential estates."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from webapp import config as config_module

PROJECT_ROOT = config_module.PROJECT_ROOT


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app; ``test_config`` overrides the environment."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(Path(config_module.DEFAULT_INSTANCE)),
    )
    settings = config_module.from_env()
    if test_config:
        settings.update(test_config)
    app.config.update(settings)
    app.config.setdefault("MIGRATIONS_DIR", PROJECT_ROOT / "migrations")
    app.config.setdefault("TRANSLATIONS_DIR", PROJECT_ROOT / "translations")
    app.instance_path = app.config["INSTANCE_PATH"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # WTForms reads this; our own enforce() calls csrf.protect() so bearer calls skip it.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    if app.config["ROUNDS_ENV"] == "production":
        app.config["DEMO_MODE"] = False

    from sync import blobs, feed
    from webapp import (
        access,
        edge,
        errors,
        extensions,
        htmx,
        i18n,
        monitoring,
        renovation,
        rounds,
        templating,
    )
    from webapp.alerts import fanout
    from webapp.api import auth as api_auth
    from webapp.health import checks as health_checks
    from webapp.items import history
    from webapp.jobs import engine as jobs
    from webapp.keys.history import key_events
    from webapp.keys.request_history import request_events
    from webapp.labels import codes
    from webapp.monitoring import metrics
    from webapp.pwa import csp, stateless
    from webapp.review import cache
    from webapp.review.timeline import review_timeline

    i18n.compile_catalogs(Path(app.config["TRANSLATIONS_DIR"]))
    # Before anything can fail: a request id on every request and in every log line; the
    # configured log format; request counts and latencies.
    monitoring.init_app(app)
    # First of all: bounded URL integers, and input no route can store refused (400).
    edge.init_app(app)
    # Who is calling, before any hook reads the user or checks CSRF: the precached pages
    # are served as to no one; a revoked phone's browser session ends; a bearer token decides.
    stateless.init_app(app)
    api_auth.init_app(app)
    extensions.init_app(app)
    i18n.init_app(app)
    extensions.login_manager.login_view = "auth.login"
    # No binding to the client's address (phones change networks all shift): sessions live
    # on the server and end there (webapp/auth/sessions.py).
    extensions.login_manager.session_protection = None
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address and scheme as that many trusted proxies forwarded them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    app.before_request(access.enforce)
    csp.init_app(app)
    htmx.init_app(app)
    # Session listeners: registry writes feed the sync change log; writes drop the cached
    # review numbers and the short codes read in a transaction.
    feed.install()
    cache.install()
    codes.install()
    history.install(history.label_codes, review_timeline, key_events, request_events)
    # Background jobs: queued when the transaction that submits them commits; each area's
    # kinds and schedules are declared in the modules of JOB_MODULES.
    jobs.install()
    jobs.init_app(app)
    fanout.install()  # alert events recorded in a transaction are fanned out as it commits
    _import_all(JOB_MODULES)
    metrics.add_queue_depth(app, "jobs", jobs.get(app).waiting)
    if app.config.get("BLOB_STORE") == "s3":  # /healthz asks the bucket too
        health_checks.add_check(app, "objects", blobs.from_config(app.config).check, 3.0)
    errors.init_app(app)
    _register_blueprints(app)
    access.error_formats(app)  # the routes whose errors are not pages, read once
    templating.init_app(app)
    rounds.init_app(app)  # the pull's loader of rounds (sync imports no area)
    renovation.init_app(app)  # and of permits and notices

    from webapp.cli import commands

    commands.init_app(app)
    return app


# One line per area; each module holds a Blueprint called ``bp``.
BLUEPRINTS = [
    "webapp.auth.views",
    "webapp.health.views",
    "webapp.monitoring.views",
    "webapp.home.views",
    "webapp.i18n",
    "webapp.labels.views",
    "webapp.items.views",
    "webapp.registry.views",
    "webapp.admin.views",
    "webapp.api.views",
    "webapp.devices.views",
    "webapp.quarantine.views",
    "webapp.pwa.views",
    "webapp.pwa.notifications",
    "webapp.review.views",
    "webapp.keys.views",
    "webapp.keys.approvals",
    "webapp.keys.owner_views",
    "webapp.desk.views",
    "webapp.rounds.views",
    "webapp.paper.views",
    "webapp.records.views",
    "webapp.alerts.views",
    "webapp.renovation.views",
    "webapp.alerts.digest_views",
    "webapp.renovation.report_views",
]


# The modules that declare job kinds and schedules (webapp/jobs/engine.py: task, periodic),
# and the alert channels (webapp/alerts/channels.py: register).
JOB_MODULES = [
    "webapp.jobs.housekeeping",
    "webapp.labels.jobs",
    "webapp.keys.jobs",
    "webapp.rounds.jobs",
    "webapp.alerts.fanout",
    "webapp.alerts.checks",
    "webapp.alerts.mail",
    "webapp.alerts.push",
    "webapp.renovation.jobs",
    "webapp.renovation.report_digest",  # the Saturday report's section of the weekly digest
    "webapp.alerts.digests",
    "webapp.retention.jobs",
]


def _import_all(modules: list[str]) -> None:
    import importlib

    for module in modules:
        importlib.import_module(module)


def _register_blueprints(app: Flask) -> None:
    import importlib

    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
