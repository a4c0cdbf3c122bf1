"""Routes of the installable app: manifest, service worker, offline shell, scanner."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, g, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import i18n, vocab
from webapp.access import answers, public
from webapp.api import openapi
from webapp.compression import masked_csrf_token
from webapp.errors import api_error

bp = Blueprint("pwa", __name__)

# Pages the service worker precaches: they open with no network, so they must not depend on
# who is logged in (their scripts read the user and the data from the phone's store).
SHELL_PAGES = ("pwa.app_shell", "pwa.scan", "pwa.rounds_shell", "pwa.keys_shell")
PAGES_PLACEHOLDER = '"__ROUNDS_PAGES__"'
THEME_COLOUR = "#0e4a5a"
BACKGROUND_COLOUR = "#f3f6f7"


def helpers() -> dict:
    """What every page's head reads: the app's config for its scripts, the shell pages."""
    return {
        "pwa_config": pwa_config,
        "shell_pages": SHELL_PAGES,
        "reportable_categories": reportable_categories,
    }


def reportable_categories() -> list[tuple[str, str]]:
    """The finding categories the phone's finding form offers, named in the reader's language."""
    raised_only = vocab.FINDING_CATEGORIES_RAISED_ONLY
    return [pair for pair in i18n.terms("finding_category") if pair[0] not in raised_only]


def pwa_config() -> dict:
    """What the page's scripts read from #pwa-config: base URL, item path and their words."""
    return {
        "baseUrl": current_app.config["PUBLIC_BASE_URL"],
        "itemPath": "/q/",
        "swUrl": url_for("pwa.service_worker"),
        "loggedIn": bool(getattr(current_user, "is_authenticated", False)),
        "strings": {
            "update": _("A new version of Rounds is ready."),
            "reload": _("Reload"),
            "online": _("Online"),
            "offline": _("Offline"),
            "noAnswer": _("No answer"),
            "checking": _("Checking…"),
            "setupTitle": _("This phone is not set up yet."),
            "setupChecking": _("Setting up this phone…"),
            "setupLoggedOut": _(
                "Log in (with a network): the estate's items then come onto the phone by itself."
            ),
            "setupUnreachable": _(
                "The server cannot be reached. Open Rounds where there is a network: "
                "the phone then sets itself up."
            ),
            "setupFailed": _(
                "The server answered {status}. It will be tried again; if it keeps failing, "
                "log out and in again."
            ),
            "never": _("never"),
            "enterCode": _("Type the code printed under the QR."),
            "badCheck": _("That code does not check out: look at it again and retype it."),
            "unknownShort": _(
                "This phone does not know the code {code} yet. It will once it has synced."
            ),
            "starting": _("Starting the camera…"),
            "pointCamera": _("Point the camera at a label's QR code."),
            "cameraDenied": _("The camera is not allowed for Rounds."),
            "cameraMissing": _("No camera could be opened on this device."),
            "readingPhoto": _("Reading the photo…"),
            "noCodeInPhoto": _("No QR code was found in that photo."),
            "decoderFailed": _("The QR reader could not start. Type the code instead."),
        },
    }


@bp.get("/manifest.webmanifest")
@public
@answers("json")  # the browser reads the manifest as JSON: so are its errors
def manifest():
    """Describe the app to the browser so it can be installed."""

    def icon(name: str, size: int, purpose: str = "any") -> dict:
        return {
            "src": url_for("static", filename=f"icons/{name}"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }

    body = {
        "id": "/app",
        "name": "巡查 Rounds",
        "short_name": "巡查",
        "description": "小區巡查、標識檢查與鑰匙登記 — patrols, signage checks, key register",
        "lang": "zh-Hant",
        "dir": "ltr",
        "start_url": url_for("pwa.app_shell"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["business", "productivity"],
        "icons": [
            icon("icon-192.png", 192),
            icon("icon-512.png", 512),
            icon("maskable-512.png", 512, "maskable"),
        ],
        "shortcuts": [
            {
                "name": "掃描標籤 Scan a label",
                "short_name": "掃描",
                "url": url_for("pwa.scan"),
                "icons": [icon("icon-192.png", 192)],
            }
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def shell_revision() -> str:
    """A fingerprint of what the precached shell pages are made of.

    When a template, a translation or the deployment's URL changes, sw.js changes with it,
    so phones fetch the new shell and show "new version — reload".
    """
    root = Path(current_app.root_path).parent
    digest = hashlib.sha256()
    digest.update(current_app.config["PUBLIC_BASE_URL"].encode())
    digest.update(str(current_app.config.get("PWA_REVISION", "")).encode())
    sources = sorted((root / "templates" / "pwa").glob("*.html"))
    sources += sorted(Path(current_app.config["TRANSLATIONS_DIR"]).glob("*/LC_MESSAGES/*.po"))
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@bp.get("/sw.js")
@public
def service_worker():
    """Serve the service worker at the root scope, never from an HTTP cache."""
    built = Path(current_app.static_folder) / "build" / "sw.js"
    if not built.exists():
        return Response(
            "// The service worker is not built: run `make build`.\n",
            status=503,
            mimetype="text/javascript",
        )
    revision = shell_revision()
    pages = [{"url": url_for(endpoint), "revision": revision} for endpoint in SHELL_PAGES]
    source = built.read_text(encoding="utf-8").replace(PAGES_PLACEHOLDER, json.dumps(pages))
    response = Response(source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache, max-age=0"
    return response


@bp.get("/app")
@public
def app_shell():
    """Show the patrol shell: what the phone holds, the scanner, and typing a code."""
    return render_template("pwa/shell.html", autoscan=False)


@bp.get("/scan")
@public
def scan():
    """Open the scanner straight away."""
    return render_template("pwa/shell.html", autoscan=True)


@bp.get("/app/rounds")
@public
def rounds_shell():
    """Today's rounds on the phone, walked from the store with or without a network."""
    return render_template("pwa/rounds.html")


@bp.get("/app/keys")
@public
def keys_shell():
    """Lend, return, issue and stocktake keys on the phone, with or without a network (the
    same page for everyone, cached offline: the phone hides what its user's role may not do,
    by the merge's own list)."""
    from sync.keys import KEY_HANDLERS

    return render_template("pwa/keys.html", key_handlers=list(KEY_HANDLERS))


@bp.get("/api/auth/session")
@public
def session_user():
    """Who the browser session is logged in as, and its CSRF token.

    The precached pages name no user (they are the same for everyone), so a page that finds
    no device token on the phone asks here, then trades the session for a token with
    POST /api/auth/device (issue 15, defect 1). 401 when the session is not logged in.
    """
    if not current_user.is_authenticated or g.get("bearer_device") is not None:
        return api_error(401, "not_logged_in", _("Not logged in."))
    return jsonify(
        {
            "user": {"username": current_user.username, "role": current_user.role},
            "csrf_token": masked_csrf_token(),
        }
    )


openapi.document(
    "/api/auth/session",
    {
        "get": {
            "summary": "The page's logged-in session: its user and CSRF token (no bearer token)",
            "security": [],
            "responses": {
                "200": {
                    "description": "Logged in",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["user", "csrf_token"],
                                "properties": {
                                    "user": {
                                        "type": "object",
                                        "properties": {
                                            "username": {"type": "string"},
                                            "role": {"type": "string"},
                                        },
                                    },
                                    "csrf_token": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                **openapi._errors("401"),
            },
        }
    },
)
