"""The filters, globals and names every template may use, installed by create_app."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_login import current_user

from webapp import i18n, vocab
from webapp.alerts import views as alerts_views
from webapp.keys import display as keys_display
from webapp.pwa import notifications
from webapp.pwa import views as pwa_views
from webapp.registry import display as registry_display
from webapp.review.names import names as review_names


def _common() -> dict:
    return {
        "html_lang": i18n.html_lang,
        "term": i18n.term,
        "terms": i18n.terms,
        "term_list": i18n.term_list,
        "separator": i18n.separator,
        "aside": i18n.aside,
        "floor_name": vocab.floor_name,
        "zone_name": i18n.zone_name,
        "locales": i18n.LOCALES,
        "current_locale": i18n.select_locale,
        "current_user": current_user,
        "demo_mode": current_app.config["DEMO_MODE"],
        "bearer": g.get("bearer_device"),
    }


def init_app(app: Flask) -> None:
    """Install every app-wide template filter, global and context processor."""
    app.add_template_filter(registry_display.actor_name, "actor_name")
    app.add_template_filter(registry_display.audit_action, "audit_action")
    app.add_template_filter(registry_display.audit_changes, "audit_changes")
    app.add_template_filter(keys_display.keytime, "keytime")
    app.add_template_global(keys_display.key_signature, "key_signature")
    for processor in (
        _common,
        registry_display.helpers,
        keys_display.names,
        review_names,
        pwa_views.helpers,
        alerts_views.bell,
        notifications.helpers,
    ):
        app.context_processor(processor)
