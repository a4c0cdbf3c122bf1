"""Rounds: offline-first patrols, inspections and the key register for residential estates."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g

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

    from webapp import access, edge, errors, extensions, i18n

    i18n.compile_catalogs(Path(app.config["TRANSLATIONS_DIR"]))
    # First of all: bounded URL integers, and input no route can store refused (400).
    edge.init_app(app)
    extensions.init_app(app)
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
    errors.init_app(app)
    _register_blueprints(app)
    _register_template_helpers(app)

    from webapp.cli import commands

    commands.init_app(app)
    return app


# One line per area; each module holds a Blueprint called ``bp``.
BLUEPRINTS = [
    "webapp.auth.views",
    "webapp.health.views",
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
    "webapp.review.views",
    "webapp.keys.views",
    "webapp.rounds.views",
    "webapp.paper.views",
]


def _register_blueprints(app: Flask) -> None:
    import importlib

    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from webapp import i18n

    @app.context_processor
    def _helpers():
        return {
            "html_lang": i18n.html_lang,
            "term": i18n.term,
            "locales": i18n.LOCALES,
            "current_locale": i18n.select_locale,
            "current_user": current_user,
            "demo_mode": app.config["DEMO_MODE"],
            "bearer": g.get("bearer_device"),
        }
