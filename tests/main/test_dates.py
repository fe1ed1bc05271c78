"""One date format per locale (issue 14): kk and ru 02.12.2026, en 2 Dec 2026 — on pages and in
messages, whatever style a template asked for."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_babel import force_locale

from docflow.i18n import format_date, format_datetime
from tests.fixtures import page

DAY = dt.date(2026, 12, 2)
EXPECTED = {"kk": "02.12.2026", "ru": "02.12.2026", "en": "2 Dec 2026"}
# What the issue saw: 12/2/26, December 2, 2026, 2026-12-02, 02.12.26 (and their kk/ru kin).
OTHER_FORMATS = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{2}\b|\b\d{4}-\d{2}-\d{2}\b(?![^<]*>)|\b\d{2}\.\d{2}\.\d{2}\b(?!\d)"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December) \d"
    r"|\d{1,2} (?:декабря|желтоқсан)"
)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_format_date_is_one_format_per_locale(app, lang):
    with app.test_request_context(), force_locale(lang):
        shown = {format_date(DAY, style) for style in (None, "short", "medium", "long", "full")}
        moment = dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC)  # 09:30 in Almaty
        assert shown == {EXPECTED[lang]}
        assert format_datetime(moment, "short") == f"{EXPECTED[lang]} 09:30"


def visible(html: str) -> str:
    body = html.split("<main", 1)[-1]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_pages_show_dates_in_the_locale_format(web, routed, lang):
    from docflow.extensions import db

    item = routed("in_work")
    db.session.commit()
    c = web("clerk", lang=lang)
    registered = item.registration_date
    with force_locale(lang):
        want = format_date(registered)
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}" if lang != "en" else r"\d{1,2} \w{3} \d{4}", want)
    # (/calendar: the holidays package names substituted days off with a date of its own.)
    for path in ("/", f"/registry/{item.public_id}", "/registry/"):
        text = visible(page(c.get(path)))
        assert not OTHER_FORMATS.search(text), (path, OTHER_FORMATS.search(text).group(0))
    assert want in visible(page(c.get(f"/registry/{item.public_id}")))
    assert want in visible(page(c.get("/registry/")))


def test_flashed_message_date_in_the_locale_format(web, routed, users):
    from docflow.core.calendar import get_calendar
    from docflow.extensions import db

    item = routed("in_work")
    db.session.commit()
    new_due = get_calendar().add_working_days(item.due_date, 3)
    c = web("head.energy", lang="ru")
    r = c.post(
        f"/routing/{item.public_id}/extend",
        data={"new_due": new_due.isoformat(), "reason": "Сложный вопрос", "basis": "letter"},
        follow_redirects=True,
    )
    text = visible(page(r))
    assert new_due.strftime("%d.%m.%Y") in text
    assert new_due.isoformat() not in text
