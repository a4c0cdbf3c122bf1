"""Languages: zh-Hant first, en beside it; locale choice, catalogue compilation, term names."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone_gmt, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, current_app, redirect, request, session
from flask_babel import get_locale
from flask_login import current_user

from webapp import vocab
from webapp.access import public
from webapp.extensions import babel, db
from webapp.urls import safe_next

log = logging.getLogger(__name__)

LOCALES = {"zh_Hant_TW": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_Hant_TW"

bp = Blueprint("i18n", __name__)


def init_app(app) -> None:
    """Bind Flask-Babel with the reader's language and zone chosen here."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.config["TRANSLATIONS_DIR"]),
    )


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
    if getattr(current_user, "is_authenticated", False):
        estates = current_user.visible_estates
        if estates:
            return estates[0].timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def is_english() -> bool:
    """Tell whether the current reader reads English."""
    locale = get_locale()
    return locale is not None and locale.language == "en"


def zone_name(timezone: str) -> str:
    """Name a time zone as the reader says it (台北時間, Taiwan Time), never by its id alone; a
    zone of no place (UTC, Etc/GMT-8) by its offset (GMT+08:00)."""
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):  # not a zone: the words are still true
        return timezone
    if timezone in ("UTC", "GMT") or timezone.startswith("Etc/"):
        return get_timezone_gmt(datetime.now(zone), locale=get_locale())
    return get_timezone_name(zone, locale=get_locale())


def html_lang() -> str:
    """The BCP 47 tag for <html lang>: zh-Hant-TW or en."""
    return "en" if is_english() else "zh-Hant-TW"


def aside(main, extra) -> str:
    """``main`` with ``extra`` beside it in brackets as the reader's language writes them:
    full-width in Chinese (李先生（業主）), "Mr Lee (owner)" in English (the phone's is
    static/js/phone/i18n.js aside). Plain text: a template escapes it as it shows it."""
    return f"{main} ({extra})" if is_english() else f"{main}（{extra}）"


def term(vocabulary: str, value: str | None) -> str:
    """Name a vocabulary value in the reader's language."""
    if value is None:
        return ""
    return vocab.en(vocabulary, value) if is_english() else vocab.zh(vocabulary, value)


def separator() -> str:
    """What parts a list in the reader's language: 、 in Chinese, a comma in English."""
    return ", " if is_english() else "、"


def term_list(vocabulary: str, values) -> str:
    """Name these vocabulary values in the reader's language, listed with its separator."""
    return separator().join(term(vocabulary, value) for value in values or ())


def terms(vocabulary: str) -> list[tuple[str, str]]:
    """A vocabulary's values, in order, each with its name in the reader's language."""
    return [(value, term(vocabulary, value)) for value in vocab.VOCABULARIES[vocabulary]]


class Terms(Mapping):
    """A vocabulary's names by value, read in the reader's language when looked up (the
    mapping can be made at import time, like a lazy string); ``extra`` names other values."""

    def __init__(self, vocabulary: str, **extra) -> None:
        self.vocabulary = vocabulary
        self.extra = extra

    def __getitem__(self, value: str) -> str:
        if value in self.extra:
            return str(self.extra[value])
        if value not in vocab.VOCABULARIES[self.vocabulary]:
            raise KeyError(value)
        return term(self.vocabulary, value)

    def __iter__(self) -> Iterator[str]:
        yield from vocab.VOCABULARIES[self.vocabulary]
        yield from self.extra

    def __len__(self) -> int:
        return len(vocab.VOCABULARIES[self.vocabulary]) + len(self.extra)


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
    """Compile each locale's messages.po into messages.mo when the .po is newer.

    One catalogue per language (not one per area), so an English msgid has one
    translation; a word with two meanings takes a msgctxt (pgettext). Built when the app
    starts, so a stale messages.mo (git-ignored) is never what runs.
    """
    for source in translations_dir.glob("*/LC_MESSAGES/messages.po"):
        target = source.with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        with source.open("rb") as fh:
            catalog = read_po(fh, locale=source.parent.parent.name)
        try:
            tmp = target.with_suffix(".mo.tmp")
            with tmp.open("wb") as fh:
                write_mo(fh, catalog)
            tmp.replace(target)
        except OSError as exc:  # a read-only install keeps whatever was built
            log.warning("could not compile %s: %s", target, exc)
