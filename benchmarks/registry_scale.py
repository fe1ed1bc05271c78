"""The registry at scale on SQLite: N registered items (default 1,000,000) with ~2 KB of text each.

Generates the items straight into a fresh, migrated database (bulk SQL, the same schema and
full-text index the app uses), then times the app's own queries:
  - the journal page with a full-text query (common, medium and rare words),
  - the journal page with filters (kind + date range, overdue),
  - the overdue-by-subdivision list.
Prints p50/p95 per query (target p95 < 100 ms). The generated database is reused on the next
run with the same N (it lives in the temp folder) unless --fresh is given.
    .venv/bin/python benchmarks/registry_scale.py [--items 1000000] [--fresh]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, summary

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


def make_text(rng: random.Random, size: int = 2000) -> str:
    words = WORDS_KK if rng.random() < 0.5 else WORDS_RU
    out, n = [], 0
    while n < size:
        w = rng.choice(RARE) if rng.random() < 0.0005 else rng.choice(words)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def build(path: Path, items: int) -> None:
    os.environ["DOCFLOW_INSTANCE_PATH"] = str(path.parent)
    from flask_migrate import upgrade

    from docflow import create_app
    from docflow.extensions import db
    from docflow.org.profile import DEMO_PROFILE, load_profile, read_profile
    from docflow.registry.search import stem_columns

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        load_profile(read_profile(DEMO_PROFILE))
        db.session.commit()
        db.engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")  # generation only; the app runs with FULL
    subs = [r[0] for r in con.execute("SELECT id FROM subdivision")]
    rng = random.Random(42)
    start = dt.date(2022, 1, 1)
    days = (dt.date(2026, 11, 20) - start).days
    t0 = time.perf_counter()
    for first in range(1, items + 1, BATCH):
        rows, apps, fts = [], [], []
        for i in range(first, min(first + BATCH, items + 1)):
            reg = start + dt.timedelta(days=days * i // items)
            due = reg + dt.timedelta(days=21)
            kind = rng.choice(KINDS)
            summary_text = make_text(rng, 160)
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
                    1,
                    int(kind == "reception_request" or rng.random() < 0.05),
                    0,
                    0,
                    rng.choice(subs) if rng.random() < 0.9 else None,
                    state_for(rng, (dt.date(2026, 11, 20) - reg).days),
                )
            )
            name = f"Тестов{rng.randint(1, 50000)} Ерлан"
            apps.append((i, 0, "individual", name, f"Алматы, {rng.randint(1, 300)}"))
            doc = f"жт-{reg.year}-{i:08d} {summary_text} {name} {make_text(rng)}".lower()
            fts.append((i, doc, *stem_columns(doc)))  # the word-form stems the app indexes
        con.executemany(
            "INSERT INTO incoming_item (id, public_id, kind, channel, journal, reg_year, reg_seq, reg_number, "
            "arrived_at, registered_at, registration_date, due_date, term_days, term_unit, addressee, summary, "
            "signed, from_reception, anonymous, collective, subdivision_id, state) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        con.executemany(
            "INSERT INTO applicant (item_id, position, type, full_name, address, needs_interpreter) VALUES (?,?,?,?,?,0)",
            apps,
        )
        con.executemany("INSERT INTO item_fts (rowid, content, ru, kk) VALUES (?, ?, ?, ?)", fts)
        con.commit()
        done = min(first + BATCH - 1, items)
        if done % 100000 == 0 or done == items:
            print(f"  generated {done:>9} items  ({time.perf_counter() - t0:6.0f} s)", flush=True)
    con.execute("ANALYZE")
    con.execute("INSERT INTO item_fts(item_fts) VALUES ('optimize')")
    con.commit()
    con.close()


def measure(path: Path, runs: int, items: int) -> None:
    os.environ["DOCFLOW_INSTANCE_PATH"] = str(path.parent)
    from docflow import create_app
    from docflow.extensions import db
    from docflow.registry import queries

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
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
    }
    rng = random.Random(7)
    with app.app_context():
        for name, make in cases.items():
            times = []
            for _ in range(runs):
                f = make(rng)
                with Timer() as t:
                    rows = db.session.scalars(queries.journal_query(f, window=51).limit(51)).all()
                times.append(t.seconds)
                db.session.rollback()
            print(summary(name, times) + f"  rows={len(rows)}")
        times = []
        for _ in range(runs):
            with Timer() as t:
                result = queries.overdue_by_subdivision(today)
            times.append(t.seconds)
            db.session.rollback()
        print(summary("overdue by subdivision", times) + f"  groups={len(result)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.gettempdir()) / f"docflow-bench-scale-{args.items}"
    folder.mkdir(exist_ok=True)
    path = folder / "docflow.sqlite3"
    if args.fresh or not path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        print(f"generating {args.items} items into {path} …", flush=True)
        build(path, args.items)
    print(
        f"database: {path.stat().st_size / 1e9:.2f} GB, {args.items} items, ~2 KB extracted text each"
    )
    measure(path, args.runs, args.items)


if __name__ == "__main__":
    main()
