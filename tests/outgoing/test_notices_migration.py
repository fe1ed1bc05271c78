"""Migration 0011: the notices journal's rows become letters — same public ids, same gapless
numbers (R-REG-4) — and the "sent" fields routing and protocols kept of their own move into the
letters' sent state before they are dropped. The downgrade brings the notices back."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from docflow import create_app
from docflow.extensions import db
from tests.conftest import base_config

UTC = dt.UTC


def _dummy(column: sa.Column):
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    return {
        int: 1,
        bool: False,
        dt.date: dt.date(2026, 11, 2),
        dt.datetime: dt.datetime(2026, 11, 2, 4, 0, tzinfo=UTC),
        dt.time: dt.time(10, 0),
        dict: {},
        list: [],
        bytes: b"",
    }.get(kind, "x")


def _insert(conn, name: str, **values) -> int:
    """A row with the given values; the other required columns filled with placeholders."""
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    row = dict(values)
    for c in table.columns:
        if c.name not in row and not c.nullable and not c.primary_key:
            row[c.name] = _dummy(c)
    return conn.execute(table.insert().values(row)).inserted_primary_key[0]


def _rows(conn, query: str) -> list[dict]:
    return [dict(r) for r in conn.execute(sa.text(query)).mappings()]


@pytest.fixture
def bare_app(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCFLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(f"sqlite:///{tmp_path / 'migrate.sqlite3'}"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_r_reg_4_0011_moves_the_notices_into_letters_with_their_numbers(bare_app):
    upgrade(revision="0010")
    with db.engine.begin() as conn:
        item = _insert(conn, "incoming_item", reg_number="ЖТ-2026-00000007")
        ext = _insert(
            conn,
            "extension",
            item_id=item,
            notice_sent_at=dt.datetime(2026, 11, 3, 20, 30, tzinfo=UTC),  # 4 Nov in Almaty
        )
        # rows that reference the tables the migration rebuilds (SQLite batch mode)
        org = _insert(conn, "organisation", code="almaty")
        subdivision = _insert(conn, "subdivision", code="ENERGY", organisation_id=org)
        answer = _insert(conn, "letter", item_id=item, subdivision_id=subdivision, kind="answer")
        _insert(conn, "letter_version", letter_id=answer, number=1, body="Жауап")
        official = _insert(conn, "official", code="akim", organisation_id=org)
        signup = _insert(conn, "signup", item_id=item, official_id=official)
        _insert(conn, "satisfaction_call", signup_id=signup)
        common = {"journal": "outgoing", "reg_year": 2026, "item_id": item, "recipient": "Ким"}
        _insert(
            conn,
            "outgoing_notice",
            **common,
            public_id="n1",
            reg_seq=1,
            reg_number="ИХ-2026-000001",
            kind="correction",
            language="ru",
            text_kk="мәтін",
            text_ru="текст",
            due_on=dt.date(2026, 11, 5),
            registered_at=dt.datetime(2026, 11, 2, 19, 30, tzinfo=UTC),  # 3 Nov in Almaty
            sent_on=dt.date(2026, 11, 4),
            channel="post",
            dedup_key="correction:1",
        )
        _insert(
            conn,
            "outgoing_notice",
            **common,
            public_id="n2",
            reg_seq=2,
            reg_number="ИХ-2026-000002",
            kind="extension",
            language="kk",
            text_kk="ұзартылды",
            text_ru="продлен",
            due_on=dt.date(2026, 11, 6),
            registered_at=dt.datetime(2026, 11, 3, 5, 0, tzinfo=UTC),
            source_type="extension",
            source_id=ext,
            dedup_key="extension:1",
        )
    upgrade(revision="0011")
    with db.engine.connect() as conn:
        letters = _rows(conn, "SELECT * FROM letter ORDER BY reg_seq")
        tables = sa.inspect(conn).get_table_names()
        ext_columns = {c["name"] for c in sa.inspect(conn).get_columns("extension")}
        moves = _rows(
            conn,
            "SELECT object_id, transition, to_state FROM workflow_history"
            " WHERE object_type = 'letter' ORDER BY id",
        )
        broken = _rows(conn, "PRAGMA foreign_key_check")
        enforced = _rows(conn, "PRAGMA foreign_keys")
    assert broken == [] and list(enforced[0].values()) == [1]  # rebuilt tables, references kept
    assert "outgoing_notice" not in tables and "notice_sent_at" not in ext_columns
    answer_row, first, second = sorted(letters, key=lambda x: x["reg_seq"] or 0)
    assert answer_row["kind"] == "answer" and answer_row["subdivision_id"] == subdivision
    assert [x["public_id"] for x in (first, second)] == ["n1", "n2"]
    assert [(x["reg_journal"], x["reg_year"], x["reg_seq"]) for x in (first, second)] == [
        ("outgoing", 2026, 1),
        ("outgoing", 2026, 2),
    ]
    assert first["reg_number"] == "ИХ-2026-000001" and first["kind"] == "correction"
    assert first["body"] == "текст" and first["state"] == "sent" and first["channel"] == "post"
    assert str(first["registered_on"]) == "2026-11-03" and first["subdivision_id"] is None
    assert str(first["sent_on"]) == "2026-11-04" and first["recipient"] == "Ким"
    assert second["body"] == "ұзартылды"
    assert json.loads(second["texts"]) == {"kk": "ұзартылды", "ru": "продлен"}
    # the routing panel had marked the extension's notice sent: now the letter says so
    assert second["state"] == "sent" and str(second["sent_on"]) == "2026-11-04"
    assert (second["source_type"], second["source_id"]) == ("extension", ext)
    # the old journal's moves, as the letter workflow's history
    assert [(m["object_id"], m["transition"], m["to_state"]) for m in moves] == [
        (str(first["id"]), "register", "registered"),
        (str(first["id"]), "send", "sent"),
        (str(second["id"]), "register", "registered"),
        (str(second["id"]), "send", "sent"),  # from extension.notice_sent_at
    ]

    downgrade(revision="0010")
    with db.engine.connect() as conn:
        back = _rows(conn, "SELECT * FROM outgoing_notice ORDER BY reg_seq")
        left = _rows(conn, "SELECT * FROM letter")
        exts = _rows(conn, "SELECT notice_sent_at FROM extension")
    assert [(n["public_id"], n["reg_number"], n["text_ru"]) for n in back] == [
        ("n1", "ИХ-2026-000001", "текст"),
        ("n2", "ИХ-2026-000002", "продлен"),
    ]
    assert [x["id"] for x in left] == [answer] and exts[0]["notice_sent_at"] is not None
