"""Office settings are read once per request (``core.settings``); a request that needs several
reads them in one query (``preload_settings``), and a missing one still gives each caller's
default."""

from __future__ import annotations

from sqlalchemy import event

from docflow.core.settings import get_setting, preload_settings, set_setting
from docflow.extensions import db


def selects_of_settings(run) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM setting" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_preloaded_settings_are_one_query_and_the_same_values(app):
    with app.app_context():
        set_setting("bench_a", {"x": 1})
        set_setting("bench_b", [1, 2])
        db.session.commit()
    with app.app_context():
        plain = (get_setting("bench_a"), get_setting("bench_b"), get_setting("bench_none", 7))
    with app.app_context():

        def read():
            preload_settings("bench_a", "bench_b", "bench_none")
            got = (get_setting("bench_a"), get_setting("bench_b"), get_setting("bench_none", 7))
            assert got == plain == ({"x": 1}, [1, 2], 7)
            assert get_setting("bench_none") is None  # each caller's own default
            assert get_setting("bench_none", "other") == "other"

        assert selects_of_settings(read) == 1


def test_a_changed_setting_is_read_again_in_the_same_request(app):
    with app.app_context():
        set_setting("bench_c", 1)
        preload_settings("bench_c")
        assert get_setting("bench_c") == 1
        set_setting("bench_c", 2)
        assert get_setting("bench_c") == 2
        db.session.rollback()
