"""Languages: Kazakh, Russian, English. The choice is remembered in the session and on the user."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, session
from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # CLI and background work: administrators' messages in the configured language.
        return current_app.config.get("CLI_LOCALE", "en")
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


# One date format per locale (issue 14): every date a user reads, on pages and in messages, goes
# through ``format_date``/``format_datetime`` below. Kazakh and Russian office practice writes
# 02.12.2026; English gets "2 Dec 2026" (day, short month, year: never ambiguous between the
# US and the European order). The style argument templates used to pass ('short', 'long', …)
# is accepted and ignored, so one page never shows the same date two ways.
DATE_FORMATS = {"kk": "dd.MM.yyyy", "ru": "dd.MM.yyyy", "en": "d MMM yyyy"}
TIME_FORMAT = "HH:mm"


def _date_pattern() -> str:
    return DATE_FORMATS.get(str(get_locale() or "kk"), DATE_FORMATS["ru"])


def format_date(value: Any = None, _style: str | None = None) -> str:
    """A date (or a datetime, in the office's time zone) in the locale's one format."""
    if value is None:
        return ""
    return babel_format_date(value, _date_pattern())


def format_datetime(value: Any = None, _style: str | None = None) -> str:
    """A moment in the office's time zone: the locale's date format and HH:mm."""
    if value is None:
        return ""
    return babel_format_datetime(value, f"{_date_pattern()} {TIME_FORMAT}")


KIND_TITLES = {
    "apparatus": _l("Akim's office unit"),
    "department": _l("Department"),
    "district": _l("District akimat"),
    "other": _l("Other"),
}


def template_helpers() -> dict[str, Any]:
    from docflow.core.holiday_names import holiday_name
    from docflow.core.security import has_permission
    from docflow.org.models import localized

    return {
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "current_lang": str(get_locale() or "kk"),
        "kind_titles": KIND_TITLES,
        "has_permission": has_permission,
        "localized": localized,
        "format_date": format_date,
        "state_title": _incoming_state_title,
        "format_datetime": format_datetime,
        "holiday_name": holiday_name,
    }


def _incoming_state_title(state_id: str) -> str:
    from docflow.registry.workflow import INCOMING

    st = INCOMING.states.get(state_id)
    return str(st.title) if st else state_id
