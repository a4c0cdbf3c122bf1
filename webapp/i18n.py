"""Languages: zh-Hant first, en beside it; locale choice, catalogue compilation, term names."""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, current_app, redirect, request, session
from flask_babel import get_locale
from flask_login import current_user

from webapp import vocab
from webapp.access import public
from webapp.extensions import db
from webapp.urls import safe_next

log = logging.getLogger(__name__)

LOCALES = {"zh_Hant_TW": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_Hant_TW"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """Pick the reader's language: their choice, else their browser's, else zh-Hant."""
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    best = request.accept_languages.best_match(["zh-Hant", "zh-TW", "zh", "en"])
    if best and best.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def select_timezone() -> str:
    """Show times in the user's first estate's timezone."""
    if getattr(current_user, "is_authenticated", False) and current_user.estates:
        return current_user.estates[0].timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def is_english() -> bool:
    """Tell whether the current reader reads English."""
    locale = get_locale()
    return locale is not None and locale.language == "en"


def html_lang() -> str:
    """The BCP 47 tag for <html lang>: zh-Hant-TW or en."""
    return "en" if is_english() else "zh-Hant-TW"


def term(vocabulary: str, value: str | None) -> str:
    """Name a vocabulary value in the reader's language."""
    if value is None:
        return ""
    return vocab.en(vocabulary, value) if is_english() else vocab.zh(vocabulary, value)


@bp.post("/language")
@public
def set_language():
    """Switch the interface language and go back where the reader was."""
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(request.form.get("next")), code=303)


def compile_catalogs(translations_dir: Path) -> None:
    """Merge each locale's *.po files into messages.mo when any is newer.

    Each area keeps its own .po (translations/<locale>/LC_MESSAGES/<area>.po) so that
    work on different areas never edits one file; Babel reads a single messages.mo.
    """
    for lc_dir in translations_dir.glob("*/LC_MESSAGES"):
        sources = sorted(lc_dir.glob("*.po"))
        target = lc_dir / "messages.mo"
        if not sources:
            continue
        newest = max(p.stat().st_mtime for p in sources)
        if target.exists() and target.stat().st_mtime >= newest:
            continue
        merged = Catalog(locale=lc_dir.parent.name)
        for po in sources:
            with po.open("rb") as fh:
                for message in read_po(fh, locale=lc_dir.parent.name):
                    if message.id and message.string:
                        merged[message.id] = message
        try:
            tmp = target.with_suffix(".mo.tmp")
            with tmp.open("wb") as fh:
                write_mo(fh, merged)
            tmp.replace(target)
        except OSError as exc:  # a read-only install keeps whatever was built
            log.warning("could not compile %s: %s", target, exc)
