"""Minutes parsing speed: ``parse_minutes`` against python-docx merely opening and walking.

Run with ``.venv/bin/python benchmarks/minutes_parse.py [--items 200] [--runs 15]`` (a few
seconds). Prints figures, asserts nothing.

Two 200-item minutes files are built in memory: a Russian table written by ``render_minutes``
(the default template) and Kazakh numbered paragraphs with labelled lines written with
python-docx. For each, the median time of N runs of
1. python-docx: ``Document(BytesIO(blob))`` and reading the text of every paragraph and every
   table cell (``doc.paragraphs``, ``doc.tables → rows → cells``) — the floor;
2. ``parse_minutes(blob, resolver, calendar)`` — the ZIP checks, the same opening, the layout,
   applicants, executors matched against the demo organisation, terms counted on the calendar;
and the median of the per-run ratios 2 / 1 (target ≤ 2×); the two are run alternately so a
busy machine slows both alike. The resolver and the calendar are built once, as a page
would cache them.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from docx import Document

from docflow.core.calendar import WorkingCalendar
from docflow.protocols.minutes import Resolver, parse_minutes
from docflow.protocols.minutes_out import MinutesData, Visitor, format_term, render_minutes

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "docflow" / "profiles" / "almaty-city.json"
START = date(2026, 10, 15)
NAMES = [
    ("Серикбаев Нурлан Аскарович", "850315301235"),
    ("Ким Ольга Викторовна", "780911420014"),
    ("Жұмабаева Айнұр Серікқызы", "920704404563"),
    ("Оспанов Ерлан Болатұлы", "670212307771"),
]
KK_TERMS = ["10 жұмыс күні ішінде", "1 ай ішінде", "15 жұмыс күні ішінде"]


def table_minutes(items: int, resolver: Resolver) -> bytes:
    codes = sorted(resolver.names)
    visitors = []
    for i in range(items):
        name, iin = NAMES[i % len(NAMES)]
        executors = [codes[i % len(codes)]]
        if i % 3 == 0:
            executors.append(codes[(i * 7 + 3) % len(codes)])
        visitors.append(
            Visitor(
                applicant=name,
                iin=iin,
                address=f"Алмалинский район, ул. Толе би, д. {i + 1}",
                question=f"Обращение № {i + 1} по вопросу благоустройства двора и ремонта кровли",
                decision="" if i % 10 == 9 else "Рассмотреть вопрос и проинформировать заявителя",
                executors=list(dict.fromkeys(executors)),
                due=START + timedelta(days=10 + i % 30),
                no_assignment=i % 10 == 9,
            )
        )
    data = MinutesData(
        number="41",
        date=START,
        official_name="Айдос Болатұлы Сейітов",
        official_position="Заместитель акима города Алматы",
        participants=["Ахметова С.М.", "Касымов Б.Е."],
        visitors=visitors,
        subdivision_names=resolver.names,
    )
    return render_minutes(data, "ru")


def paragraph_minutes(items: int, resolver: Resolver) -> bytes:
    codes = sorted(resolver.names)
    doc = Document()
    doc.add_paragraph("Алматы қаласы әкімінің жеке қабылдауының")
    doc.add_paragraph("ХАТТАМАСЫ")
    doc.add_paragraph("Алматы қ.                          2026 жылғы 5 қараша № 44")
    doc.add_paragraph("Төрағалық етті: Алматы қаласының әкімі Е.С. Төлегенов")
    for i in range(items):
        name, iin = NAMES[i % len(NAMES)]
        code = codes[i % len(codes)]
        sub = resolver.names[code]["kk"]
        dative = sub + ("на" if sub.endswith(("ы", "і")) else "ға")
        term = (
            KK_TERMS[i % len(KK_TERMS)]
            if i % 2
            else format_term(START + timedelta(days=30 + i % 20), "kk")
        )
        doc.add_paragraph(f"{i + 1}. Арыз беруші: {name} (ЖСН {iin}), Әуезов ауданы, {i + 1}-үй.")
        doc.add_paragraph("Мәселенің мәні: баласын мемлекеттік балабақшаға орналастыру кезегі.")
        doc.add_paragraph(f"Тапсырма: {dative} мәселені заңнамаға сәйкес қарап, жауап беру.")
        doc.add_paragraph(f"Мерзімі: {term}.")
    doc.add_paragraph("Алматы қаласының әкімі                                  Е. Төлегенов")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def walk_python_docx(blob: bytes) -> int:
    doc = Document(io.BytesIO(blob))
    n = 0
    for p in doc.paragraphs:
        n += len(p.text)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                n += len(cell.text)
    return n


def interleaved(base, ours, runs: int) -> tuple[float, float, float]:
    """Median seconds of ``base`` and ``ours``, run alternately so that a busy machine slows
    both alike, and the median of the per-run ratios."""
    base()
    ours()
    b_times, o_times = [], []
    for _ in range(runs):
        t = time.perf_counter()
        base()
        b_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        ours()
        o_times.append(time.perf_counter() - t)
    ratios = [o / b for o, b in zip(o_times, b_times, strict=True)]
    return statistics.median(b_times), statistics.median(o_times), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()

    resolver = Resolver.from_profile(json.loads(PROFILE.read_text(encoding="utf-8")))
    calendar = WorkingCalendar()
    files = {
        "ru table (render_minutes)": table_minutes(args.items, resolver),
        "kk paragraphs (python-docx)": paragraph_minutes(args.items, resolver),
    }
    print(f"{args.items}-item minutes, median of {args.runs} runs")
    print(f"{'file':30} {'size':>8} {'python-docx':>12} {'parse':>10} {'ratio':>7} {'items':>6}")
    for label, blob in files.items():
        parsed = parse_minutes(blob, resolver, calendar)
        base, ours, ratio = interleaved(
            lambda b=blob: walk_python_docx(b),
            lambda b=blob: parse_minutes(b, resolver, calendar),
            args.runs,
        )
        print(
            f"{label:30} {len(blob) // 1024:>6}KB {base * 1000:>10.1f}ms {ours * 1000:>8.1f}ms"
            f" {ratio:>6.2f}x {len(parsed.items):>6}"
        )
        problems = parsed.problems
        if problems:
            print(
                f"  ({len(problems)} problems, e.g. item {problems[0][0]}: {problems[0][1].message})"
            )


if __name__ == "__main__":
    main()
