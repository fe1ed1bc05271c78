"""Translations: complete kk/ru/en catalogs, compiled .mo current, language choice, error pages.

These tests build their own app with ``make_app`` and do *not* push an app context around the
test client: the ``app`` fixture's context would be reused by every request, so ``g`` (where
Flask-Babel caches the locale) would carry the first request's language into the next ones.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext
from sqlalchemy import select

from docflow.extensions import db
from docflow.org.models import User

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "docflow" / "translations"
LANGUAGES = ("kk", "ru", "en")
PASSWORD = "docflow-demo"

LOGIN_HEADING = {"kk": "<h1>Кіру</h1>", "ru": "<h1>Войти</h1>", "en": "<h1>Log in</h1>"}
HOME_HEADING = {
    "kk": "<h1>Менің жұмысым</h1>",
    "ru": "<h1>Моя работа</h1>",
    "en": "<h1>My work</h1>",
}
NOT_FOUND = {
    "kk": "Мұндай бет жоқ немесе ол басқа мекенжайға ауыстырылған.",
    "ru": "Такой страницы нет или она перемещена.",
    "en": "This page does not exist or has been moved.",
}


def load_i18n_tool():
    spec = importlib.util.spec_from_file_location("docflow_i18n_tool", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def site(make_app):
    """The demo app, no app context pushed: every request gets a fresh ``g``."""
    return make_app("demo")


def sign_in(web, username: str = "clerk"):
    r = web.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    return r


def page(web, path: str, status: int = 200, **headers) -> str:
    r = web.get(path, headers=headers)
    assert r.status_code == status, (path, r.status_code, r.headers.get("Location"))
    return r.get_data(as_text=True)


# --- catalogs -------------------------------------------------------------------------------


def test_catalogs_are_complete():
    problems = load_i18n_tool().check()
    assert not problems, (
        "Untranslated or broken catalog entries; run `.venv/bin/python scripts/i18n.py update`, "
        "translate them in docflow/translations/{kk,ru,en}, then run it again:\n"
        + "\n".join(problems)
    )


def test_placeholder_check_sees_a_changed_placeholder():
    tool = load_i18n_tool()
    assert tool.placeholders("%(n)d из %(m)s") == tool.placeholders("%(m)s of %(n)d")
    assert tool.placeholders("%(n)s жазба") != tool.placeholders("%(n)d entries")
    assert tool.placeholders("50 %") != tool.placeholders("50")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_matches_po(lang):
    po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run `.venv/bin/pybabel compile -d {TRANSLATIONS}`"
    with po_path.open("rb") as fh:
        po = {(m.id, m.context): m.string for m in read_po(fh) if m.id and not m.fuzzy}
    with mo_path.open("rb") as fh:
        mo = {(m.id, m.context): m.string for m in read_mo(fh) if m.id}
    assert len(po) > 50
    stale = {key: (text, mo.get(key)) for key, text in po.items() if mo.get(key) != text}
    assert not stale, f"{mo_path} is older than the .po; recompile. Differences: {stale}"


def test_app_loads_the_catalogs(site):
    expected = {
        "kk": ("Жұмыс күнтізбесі", "Шығу"),
        "ru": ("Производственный календарь", "Выйти"),
        "en": ("Working calendar", "Log out"),
    }
    with site.test_request_context("/"):
        for lang, texts in expected.items():
            with force_locale(lang):
                assert (gettext("Working calendar"), gettext("Log out")) == texts


# --- choosing the language ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_language_switch(site, lang):
    web = site.test_client()
    r = web.post(f"/lang/{lang}", data={"next": "/"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    html = page(web, "/login", **{"Accept-Language": "de"})
    assert f'<html lang="{lang}">' in html
    assert LOGIN_HEADING[lang] in html
    sign_in(web)
    html = page(web, "/")
    assert f'<html lang="{lang}">' in html
    assert HOME_HEADING[lang] in html
    others = set(LANGUAGES) - {lang}
    assert not any(HOME_HEADING[other] in html for other in others)


def test_switching_back_and_forth_while_logged_in(site):
    web = site.test_client()
    sign_in(web)
    for lang in ("ru", "en", "kk", "ru"):
        web.post(f"/lang/{lang}", data={"next": "/"})
        html = page(web, "/")
        assert f'<html lang="{lang}">' in html and HOME_HEADING[lang] in html


def test_unknown_language_is_404(site):
    web = site.test_client()
    web.post("/lang/ru", data={"next": "/"})
    r = web.post("/lang/de", data={"next": "/"})
    assert r.status_code == 404
    assert NOT_FOUND["ru"] in r.get_data(as_text=True)
    assert LOGIN_HEADING["ru"] in page(web, "/login")  # the choice is unchanged


def test_choice_is_remembered_on_the_user(site):
    first = site.test_client()
    sign_in(first)
    first.post("/lang/ru", data={"next": "/"})
    with site.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "clerk"))
        assert clerk.locale == "ru"

    # A new browser that prefers English: English until the clerk logs in, then Russian.
    fresh = site.test_client()
    assert LOGIN_HEADING["en"] in page(fresh, "/login", **{"Accept-Language": "en"})
    sign_in(fresh)
    html = page(fresh, "/", **{"Accept-Language": "en"})
    assert '<html lang="ru">' in html
    assert HOME_HEADING["ru"] in html


def test_accept_language_without_a_choice(site):
    web = site.test_client()
    html = page(web, "/login", **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert '<html lang="ru">' in html and LOGIN_HEADING["ru"] in html
    assert "Имя пользователя" in html  # lazy form label
    html = page(web, "/login", **{"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in html and LOGIN_HEADING["en"] in html


def test_default_language_is_kazakh(site):
    html = page(site.test_client(), "/login")
    assert '<html lang="kk">' in html
    assert LOGIN_HEADING["kk"] in html
    assert "Құпиясөз" in html


# --- messages outside templates -------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_page_is_translated(site, lang):
    web = site.test_client()
    html = page(web, "/no-such-page", 404, **{"Accept-Language": lang})
    assert f'<html lang="{lang}">' in html
    assert NOT_FOUND[lang] in html
    assert {"kk": "Қате 404", "ru": "Ошибка 404", "en": "Error 404"}[lang] in html


def test_json_error_is_translated(site):
    r = site.test_client().get("/api/no-such-thing", headers={"Accept-Language": "kk"})
    assert r.status_code == 404
    assert r.get_json()["message"] == NOT_FOUND["kk"]


def test_flash_messages_are_translated(site):
    web = site.test_client()
    web.post("/lang/kk", data={"next": "/"})
    assert page(web, "/", 302)  # not logged in: flashes "Please log in…", redirects to /login
    assert "Бұл бетті ашу үшін жүйеге кіріңіз." in page(web, "/login")
    web.post("/lang/ru", data={"next": "/"})
    r = web.post("/login", data={"username": "clerk", "password": "wrong-password"})
    assert r.status_code == 401
    assert "Неверное имя пользователя или пароль." in r.get_data(as_text=True)
