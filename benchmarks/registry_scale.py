"""The registry at scale: N registered items (default 1,000,000) with ~2 KB of text each, on
SQLite or (with --url) PostgreSQL.

Generates the items straight into a fresh, migrated database (bulk SQL, the same schema and
full-text index the app uses; PostgreSQL by COPY, copying the SQLite database of the same N
when there is one, so both backends hold the same items), then times the app's own queries:
  - the journal page with a full-text query (common, medium and rare words, two words, a number),
  - the journal page with a full-text query and filters (kind; kind + month),
  - the journal page with filters only (kind + month, overdue, from reception),
  - the overdue-by-subdivision list.
Prints p50/p95 per query (target p95 < 100 ms) and, measured in the same run, the p95 of the
bare query underneath (the full-text index's newest 51 ids for the words, or the table's newest
51 ids) and the time of the plain query shape (every match, then the filters) whose rows each
query must equal (checked). --explain prints every statement's plan. The generated database
is reused on the next run with the same N (SQLite: in the temp folder) unless --fresh is given.
    .venv/bin/python benchmarks/registry_scale.py [--items 1000000] [--fresh] [--explain]
    .venv/bin/python benchmarks/registry_scale.py --url postgresql+psycopg://…/bench_registry
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, percentile, summary
from sqlalchemy import select, text

WORDS_KK = [
    "өтініш",
    "арыз",
    "шағым",
    "әкімдік",
    "тұрғын",
    "үй",
    "жылу",
    "су",
    "кәріз",
    "құбыры",
    "жертөле",
    "балабақша",
    "мектеп",
    "кезек",
    "аула",
    "жарық",
    "жол",
    "көлік",
    "аялдама",
    "жер",
    "учаске",
    "құрылыс",
    "үлескер",
    "пәтер",
    "ақша",
    "төлем",
    "зейнетақы",
    "жәрдемақы",
    "мүгедектік",
    "жұмыс",
    "орын",
    "емхана",
    "дәрі",
    "жедел",
    "жәрдем",
    "ауыл",
    "аудан",
    "қала",
    "көше",
    "абаттандыру",
    "қоқыс",
    "ағаш",
    "экология",
    "ауа",
    "ластану",
    "сумен",
    "жабдықтау",
    "электр",
    "газ",
    "жылыту",
    "маусым",
    "тұрғындар",
    "бірлестігі",
    "басқару",
    "компания",
    "жөндеу",
    "шатыр",
    "лифт",
    "подъезд",
    "тротуар",
    "қар",
    "тазалау",
    "балалар",
    "алаңы",
    "спорт",
    "стадион",
    "кітапхана",
    "театр",
    "ескерткіш",
    "мәдениет",
    "кәсіпкерлік",
    "базар",
    "сауда",
    "салық",
    "рұқсат",
    "лицензия",
    "сәулет",
    "жоба",
    "бас",
    "жоспар",
    "сұраймын",
    "көмектесуіңізді",
    "шешуді",
    "тексеруді",
    "жауап",
    "бермеді",
    "нәтиже",
    "жоқ",
    "бірнеше",
    "рет",
    "жүгіндім",
]
WORDS_RU = [
    "обращение",
    "заявление",
    "жалоба",
    "акимат",
    "жилье",
    "отопление",
    "вода",
    "канализация",
    "труба",
    "подвал",
    "детский",
    "сад",
    "школа",
    "очередь",
    "двор",
    "освещение",
    "дорога",
    "транспорт",
    "остановка",
    "земельный",
    "участок",
    "строительство",
    "дольщик",
    "квартира",
    "оплата",
    "пенсия",
    "пособие",
    "инвалидность",
    "работа",
    "поликлиника",
    "лекарства",
    "скорая",
    "помощь",
    "район",
    "город",
    "улица",
    "благоустройство",
    "мусор",
    "деревья",
    "экология",
    "воздух",
    "загрязнение",
    "водоснабжение",
    "электричество",
    "газ",
    "сезон",
    "жильцы",
    "объединение",
    "управляющая",
    "компания",
    "ремонт",
    "крыша",
    "лифт",
    "подъезд",
    "тротуар",
    "снег",
    "уборка",
    "детская",
    "площадка",
    "спорт",
    "стадион",
    "библиотека",
    "театр",
    "памятник",
    "культура",
    "предпринимательство",
    "рынок",
    "торговля",
    "налог",
    "разрешение",
    "лицензия",
    "архитектура",
    "проект",
    "генеральный",
    "план",
    "прошу",
    "помочь",
    "решить",
    "проверить",
    "ответа",
    "нет",
    "результата",
    "неоднократно",
    "обращался",
    "горячая",
    "холодная",
    "напор",
    "авария",
]
RARE = ["теплотрасса", "жертөлесінде", "водоотведения", "мансарда", "ғимараттың", "подтопление"]
KINDS = (
    ["statement"] * 6
    + ["complaint"] * 2
    + ["request", "proposal", "reception_request", "correspondence"]
)
CHANNELS = ["eotinish"] * 5 + ["post"] * 2 + ["by_hand", "egov", "email", "reception"]
ACTIVE = ["registered"] * 9 + ["awaiting_correction"]
FINAL = [
    "returned",
    "withdrawn",
    "left_without_consideration",
]  # routing's "closed" joins these later


def state_for(rng: random.Random, age_days: int) -> str:
    # Like a real registry: recent items are in work, old ones are (almost all) finished.
    if age_days < 30 or rng.random() < 0.02:
        return rng.choice(ACTIVE)
    return rng.choice(FINAL)


BATCH = 5000
AVG_WORD = {
    id(WORDS_KK): sum(map(len, WORDS_KK)) / len(WORDS_KK),
    id(WORDS_RU): sum(map(len, WORDS_RU)) / len(WORDS_RU),
}


def make_words(rng: random.Random, size: int = 2000) -> list[str]:
    """About ``size`` characters of words of one language, now and then a rare word."""
    words = WORDS_KK if rng.random() < 0.5 else WORDS_RU
    n = max(1, int(size / (AVG_WORD[id(words)] + 1)))
    out = rng.choices(words, k=n)
    if rng.random() < n * 0.0005:
        out[rng.randrange(n)] = rng.choice(RARE)
    return out


def make_text(rng: random.Random, size: int = 2000) -> str:
    return " ".join(make_words(rng, size))


def generate(items: int, subs: list[int]):
    """Batches of (item rows, applicant rows, (id, document, Russian stems, Kazakh stems))."""
    from docflow.registry import search, stemming

    rng = random.Random(42)
    start = dt.date(2022, 1, 1)
    days = (dt.date(2026, 11, 20) - start).days
    for first in range(1, items + 1, BATCH):
        rows, apps, docs = [], [], []
        for i in range(first, min(first + BATCH, items + 1)):
            reg = start + dt.timedelta(days=days * i // items)
            due = reg + dt.timedelta(days=21)
            kind = rng.choice(KINDS)
            summary_words = make_words(rng, 160)
            summary_text = " ".join(summary_words)
            rows.append(
                (
                    i,
                    f"b{i:019d}",
                    kind,
                    rng.choice(CHANNELS),
                    "individuals",
                    reg.year,
                    i,
                    f"ЖТ-{reg.year}-{i:08d}",
                    f"{reg} 04:00:00.000000",
                    f"{reg} 04:00:00.000000",
                    reg.isoformat(),
                    due.isoformat(),
                    15,
                    "working",
                    "Әкімге",
                    summary_text,
                    True,
                    kind == "reception_request" or rng.random() < 0.05,
                    False,
                    False,
                    rng.choice(subs) if rng.random() < 0.9 else None,
                    state_for(rng, (dt.date(2026, 11, 20) - reg).days),
                )
            )
            n = rng.randint(1, 50000)
            name = f"Тестов{n} Ерлан"
            apps.append((i, 0, "individual", name, f"Алматы, {rng.randint(1, 300)}"))
            text_words = make_words(rng)
            doc = f"жт-{reg.year}-{i:08d} {summary_text} {name} {' '.join(text_words)}".lower()
            # The words of the document as search.words() splits it (checked on the first batch),
            # without running the regular expression over 2 KB a million times.
            found = {
                "жт",
                str(reg.year),
                f"{i:08d}",
                f"тестов{n}",
                "ерлан",
                *summary_words,
                *text_words,
            }
            if i <= 50:
                assert found == set(search.words(search.normalise(doc))), i
            ru, kk = stemming.document_stems(found)
            docs.append((i, search.normalise(doc), ru, kk))  # as the app indexes it
        yield rows, apps, docs


ITEM_COLUMNS = (
    "id, public_id, kind, channel, journal, reg_year, reg_seq, reg_number, arrived_at, registered_at, "
    "registration_date, due_date, term_days, term_unit, addressee, summary, signed, from_reception, "
    "anonymous, collective, subdivision_id, state"
)


def migrated_app(url: str):
    from flask_migrate import upgrade

    from docflow import create_app
    from docflow.extensions import db
    from docflow.org.profile import DEMO_PROFILE, load_profile, read_profile

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        load_profile(read_profile(DEMO_PROFILE))
        db.session.commit()
        db.engine.dispose()
    return app


def build(path: Path, items: int) -> None:
    os.environ["DOCFLOW_INSTANCE_PATH"] = str(path.parent)
    migrated_app(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")  # generation only; the app runs with FULL
    subs = [r[0] for r in con.execute("SELECT id FROM subdivision")]
    t0 = time.perf_counter()
    done = 0
    for rows, apps, docs in generate(items, subs):
        con.executemany(
            f"INSERT INTO incoming_item ({ITEM_COLUMNS}) VALUES ({','.join('?' * 22)})",
            rows,
        )
        con.executemany(
            "INSERT INTO applicant (item_id, position, type, full_name, address, needs_interpreter) VALUES (?,?,?,?,?,0)",
            apps,
        )
        con.executemany(
            "INSERT INTO item_fts (rowid, content, ru, kk) VALUES (?, ?, ?, ?)",
            [(i, doc, " ".join(ru), " ".join(kk)) for i, doc, ru, kk in docs],
        )
        con.commit()
        done += len(rows)
        if done % 100000 == 0 or done == items:
            print(f"  generated {done:>9} items  ({time.perf_counter() - t0:6.0f} s)", flush=True)
    con.execute("ANALYZE")
    con.execute("INSERT INTO item_fts(item_fts) VALUES ('optimize')")
    # The index's words, as migration 0029 fills them (it ran before there were items).
    con.execute("CREATE VIRTUAL TABLE temp.item_fts_terms USING fts5vocab(main, item_fts, 'col')")
    con.execute(
        "INSERT OR IGNORE INTO item_fts_words (word) "
        "SELECT term FROM temp.item_fts_terms WHERE col = 'content'"
    )
    con.commit()
    con.close()


def upgraded(url: str) -> None:
    """A database generated earlier, brought to the app's schema (its migrations since)."""
    from flask_migrate import upgrade

    from docflow import create_app
    from docflow.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        t0 = time.perf_counter()
        upgrade()
        print(f"  migrations run ({time.perf_counter() - t0:.0f} s)", flush=True)
        db.engine.dispose()


def _copy_rows(cur, table: str, columns: str, rows) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def from_sqlite(path: Path, items: int):
    """The batches of a SQLite database this benchmark generated (or is generating: its
    batches are read as they are committed): the same items on both."""
    from docflow.registry import search

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    last = 0
    while last < items:
        rows = con.execute(
            f"SELECT {ITEM_COLUMNS} FROM incoming_item WHERE id > ? ORDER BY id LIMIT ?",
            (last, BATCH),
        ).fetchall()
        if not rows:
            time.sleep(5)
            continue
        first, last = rows[0][0], rows[-1][0]
        apps = con.execute(
            "SELECT item_id, position, type, full_name, address FROM applicant "
            "WHERE item_id BETWEEN ? AND ? ORDER BY id",
            (first, last),
        ).fetchall()
        docs = [
            (i, search.normalise(doc), ru.split(), kk.split())
            for i, doc, ru, kk in con.execute(
                "SELECT rowid, content, ru, kk FROM item_fts WHERE rowid BETWEEN ? AND ?",
                (first, last),
            )
        ]
        bools = (16, 17, 18, 19)
        yield (
            [tuple(bool(v) if k in bools else v for k, v in enumerate(r)) for r in rows],
            apps,
            docs,
        )
    con.close()


def build_pg(url: str, items: int, source: Path | None = None) -> None:
    """The same items on PostgreSQL (copied from ``source``, the SQLite database of the same
    size, where there is one): COPY in transactions of 100,000 items, the text index built by
    the app's own SQL (to_tsvector('simple') || the tagged stems) from a staging table, its GIN
    index dropped while loading and built once at the end."""
    import psycopg

    from docflow.registry.search import KK_TAG, RU_TAG

    migrated_app(url)
    con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    cur = con.cursor()
    cur.execute("SET synchronous_commit = off")
    cur.execute("SET maintenance_work_mem = '1GB'")
    cur.execute("DROP INDEX ix_item_search_document")
    cur.execute("CREATE UNLOGGED TABLE bench_doc (id integer, doc text, stems text[])")
    subs = [r[0] for r in cur.execute("SELECT id FROM subdivision ORDER BY id")]
    if source:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as lite:
            assert subs == [r[0] for r in lite.execute("SELECT id FROM subdivision ORDER BY id")]
        print(f"  copying the items of {source}", flush=True)
    t0 = time.perf_counter()
    done = 0
    for rows, apps, docs in from_sqlite(source, items) if source else generate(items, subs):
        _copy_rows(cur, "incoming_item", ITEM_COLUMNS, rows)
        _copy_rows(
            cur,
            "applicant",
            "item_id, position, type, full_name, address, needs_interpreter",
            ((*a, False) for a in apps),
        )
        _copy_rows(
            cur,
            "bench_doc",
            "id, doc, stems",
            (
                (i, doc, [RU_TAG + s for s in ru] + [KK_TAG + s for s in kk])
                for i, doc, ru, kk in docs
            ),
        )
        done += len(rows)
        if done % 100000 == 0 or done == items:
            cur.execute(
                "INSERT INTO item_search (item_id, document) SELECT id, "
                "to_tsvector('simple', doc) || array_to_tsvector(stems) FROM bench_doc"
            )
            cur.execute("TRUNCATE bench_doc")
            con.commit()
            print(f"  generated {done:>9} items  ({time.perf_counter() - t0:6.0f} s)", flush=True)
    cur.execute("DROP TABLE bench_doc")
    cur.execute("SELECT setval(pg_get_serial_sequence('incoming_item', 'id'), %s)", (items,))
    cur.execute("CREATE INDEX ix_item_search_document ON item_search USING gin (document)")
    con.commit()
    con.autocommit = True
    cur.execute("VACUUM ANALYZE")
    print(f"  indexed and analysed ({time.perf_counter() - t0:6.0f} s)", flush=True)
    con.close()


def measure(
    url: str, runs: int, items: int, explain: bool = False, only: str | None = None
) -> None:
    from docflow import create_app
    from docflow.extensions import db
    from docflow.registry import queries, search
    from docflow.registry.models import IncomingItem

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    today = dt.date(2026, 11, 20)
    cases = {
        "journal: full-text, common word": lambda rng: queries.JournalFilter(
            q=rng.choice(["құбыры", "отопление", "мектеп"])
        ),
        "journal: full-text, two words": lambda rng: queries.JournalFilter(
            q=rng.choice(["горячая вода", "кәріз құбыры"])
        ),
        "journal: full-text, rare word": lambda rng: queries.JournalFilter(q=rng.choice(RARE)),
        "journal: full-text, registration number": lambda rng: queries.JournalFilter(
            q=f"{rng.randint(1, items):08d}"
        ),
        "journal: full-text + kind (no window)": lambda rng: queries.JournalFilter(
            q="отопление", kind="complaint"
        ),
        "journal: kind + month": lambda rng: queries.JournalFilter(
            kind="complaint", date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31)
        ),
        "journal: overdue": lambda rng: queries.JournalFilter(overdue=True, today=today),
        "journal: from reception, last year": lambda rng: queries.JournalFilter(
            from_reception=True, date_from=dt.date(2025, 11, 20)
        ),
        "journal: full-text + kind + month": lambda rng: queries.JournalFilter(
            q=rng.choice(["вода", "мектеп"]),
            kind="complaint",
            date_from=dt.date(2025, 3, 1),
            date_to=dt.date(2025, 3, 31),
        ),
    }
    rng = random.Random(7)
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        page = select(IncomingItem.id).order_by(IncomingItem.id.desc()).limit(51)
        for name, make in cases.items():
            if only and only not in name:
                continue
            times, bare_times = [], []
            for n in range(runs):
                f = make(rng)
                with Timer() as t, captured(db.engine) as statements:
                    rows = db.session.scalars(queries.journal_query(f, window=51).limit(51)).all()
                times.append(t.seconds)
                db.session.rollback()
                # The floor, the same run: the bare full-text query of the words (its newest
                # 51 ids), or for filters only the bare newest page of the table.
                found = search.matching_ids_sql(f.q, newest=51) if f.q else None
                if found and not sqlite and f.q.isdigit():
                    # A number: read from the text index and sorted. Along the primary key,
                    # testing each document, PostgreSQL takes 20 s for its one match (and a
                    # common word's 380,000 matches, read and sorted, take seconds).
                    found = (found[0].replace("BY item_id DESC", "BY item_id + 0 DESC"), found[1])
                bare = text(found[0]).bindparams(**found[1]) if found else page
                with Timer() as t:
                    db.session.execute(bare).all()
                bare_times.append(t.seconds)
                db.session.rollback()
                if n == 0:
                    # The same rows as the plain query (every match, then the filters), timed once.
                    with Timer() as t:
                        plain = db.session.scalars(queries.journal_query(f).limit(51)).all()
                    db.session.rollback()
                    assert [i.id for i in plain] == [i.id for i in rows], name
                    plain_ms = t.seconds * 1000
                    if explain:
                        show_plans(db, statements, sqlite)
            print(
                summary(name, times)
                + f"  rows={len(rows):<3} bare p95={percentile([b * 1000 for b in bare_times], 95):7.1f} ms"
                + f"  plain query once {plain_ms:7.1f} ms",
                flush=True,
            )
        times = []
        for _ in range(runs if not only else 0):
            with Timer() as t:
                result = queries.overdue_by_subdivision(today)
            times.append(t.seconds)
            db.session.rollback()
        if times:
            print(summary("overdue by subdivision", times) + f"  groups={len(result)}")


@contextlib.contextmanager
def captured(engine):
    """The statements ``engine`` runs inside the block, with their parameters."""
    from sqlalchemy import event

    statements: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def show_plans(db, statements, sqlite: bool) -> None:
    """Each statement's plan: EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, parameters in statements:
            print("    --", " ".join(statement.split())[:300])
            cur.execute(
                ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) ") + statement,
                parameters,
            )
            for row in cur.fetchall():
                print("      ", row[-1])
    finally:
        raw.close()


def pg_items(url: str) -> int | None:
    """How many items a PostgreSQL database generated earlier holds (None: not generated)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        has = con.execute("SELECT to_regclass('incoming_item') IS NOT NULL").fetchone()[0]
        if not has:
            return None
        return con.execute("SELECT count(*) FROM incoming_item").fetchone()[0]


def sqlite_path(items: int) -> Path:
    folder = Path(tempfile.gettempdir()) / f"docflow-bench-scale-{items}"
    folder.mkdir(exist_ok=True)
    return folder / "docflow.sqlite3"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument(
        "--url",
        help="an empty PostgreSQL database (postgresql+psycopg://…), or one an earlier run with "
        "the same --items generated (reused); default: SQLite in the temp folder",
    )
    ap.add_argument("--explain", action="store_true", help="print each query's plan")
    ap.add_argument("--only", help="run only the queries whose name contains this")
    args = ap.parse_args()
    if args.url:
        have = pg_items(args.url)
        if have != args.items:
            if have:
                raise SystemExit(
                    f"{args.url} holds {have} items, not {args.items}: give an empty database"
                )
            print(f"generating {args.items} items into {args.url} …", flush=True)
            lite = sqlite_path(args.items)
            build_pg(args.url, args.items, lite if lite.exists() else None)
        url = args.url
        upgraded(url)
        print(f"database: PostgreSQL, {args.items} items, ~2 KB extracted text each")
    else:
        path = sqlite_path(args.items)
        os.environ["DOCFLOW_INSTANCE_PATH"] = str(path.parent)
        if args.fresh or not path.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            print(f"generating {args.items} items into {path} …", flush=True)
            build(path, args.items)
        url = f"sqlite:///{path}"
        upgraded(url)
        print(
            f"database: SQLite {path.stat().st_size / 1e9:.2f} GB, {args.items} items, ~2 KB extracted text each"
        )
    measure(url, args.runs, args.items, explain=args.explain, only=args.only)


if __name__ == "__main__":
    main()
