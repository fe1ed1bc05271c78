"""Minutes in: hand-typed DOCX minutes → protocol assignments (R-PROT-1..3, R-DEADLINE-1).

The samples in ``data/`` (copies of ``shared/samples/minutes`` plus a «СЛУШАЛИ / ПОСТАНОВИЛИ»
one) must give exactly their ``.expected.json``; the other tests vary layouts, executor forms and
terms, and check that whatever is not understood is shown as a problem, never guessed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from docflow.core.calendar import WorkingCalendar
from docflow.org.profile import DEMO_PROFILE, read_profile
from docflow.protocols.cli import protocols_cli
from docflow.protocols.minutes import (
    MinutesError,
    Resolver,
    parse_applicant,
    parse_minutes,
    parse_term,
)
from tests.protocols.minutes_builders import decisions_kk, decisions_ru, docx_bytes

DATA = Path(__file__).parent / "data"
SAMPLES = ["minutes-ru-table", "minutes-kk-paragraphs", "minutes-ru-decisions"]
KEYS = ("item", "applicant", "iin", "bin", "executors", "due")


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_profile(read_profile(DEMO_PROFILE))


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def _essential(assignments: list[dict]) -> list[dict]:
    return [{k: a[k] for k in KEYS if k in a} for a in assignments]


def parse(blob: bytes, resolver: Resolver, calendar: WorkingCalendar):
    return parse_minutes(blob, resolver, calendar)


# --- the samples, through the CLI with the demo profile loaded ---------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_R_PROT_3_cli_parses_sample_exactly_as_expected(runner, name):
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    result = runner.invoke(protocols_cli, ["parse", str(DATA / f"{name}.docx")])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["number"] == expected["number"]
    assert got["date"] == expected["date"]
    assert _essential(got["assignments"]) == expected["assignments"]
    assert got["no_assignment"] == expected["no_assignment"]
    for a in got["assignments"]:
        assert set(a) <= {"item", "applicant", "iin", "bin", "executors", "due", "text"}
        assert a["text"]
    assert result.stderr == ""  # no problems in the samples


def test_R_PROT_3_cli_preview_shows_matches_and_confidence(runner):
    result = runner.invoke(
        protocols_cli, ["parse", "--preview", str(DATA / "minutes-ru-table.docx")]
    )
    assert result.exit_code == 0, result.output
    preview = json.loads(result.stdout)
    assert preview["layout"] == "table" and preview["language"] == "ru"
    assert preview["official"]["code"] == "DEP1"
    item2 = preview["items"][1]
    assert [e["code"] for e in item2["executors"]] == ["HOUSING", "ALMALY"]
    assert [e["role"] for e in item2["executors"]] == ["responsible", "co"]
    assert item2["executors"][0]["matched_by"] == ["name", "head"]
    assert "Алиев С.Ж." in item2["executors"][0]["text"]
    assert item2["term"] == {
        "raw": "до 13 ноября 2026 года",
        "due": "2026-11-13",
        "kind": "date",
        "count": None,
        "confidence": 1.0,
        "problem": None,
        "warning": None,
    }
    assert preview["items"][3]["no_assignment"] is True


@pytest.mark.parametrize(
    ("maker", "code"),
    [
        (lambda: b"plain text, not a document", "not_docx"),
        (lambda: docx_bytes(["Письмо", "Просим рассмотреть."]), "not_minutes"),
    ],
)
def test_R_PROT_3_cli_refused_file_is_one_error_line(runner, tmp_path, maker, code):
    path = tmp_path / "bad.docx"
    path.write_bytes(maker())
    result = runner.invoke(protocols_cli, ["parse", str(path)])
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


def test_R_PROT_3_cli_missing_file(runner, tmp_path):
    result = runner.invoke(protocols_cli, ["parse", str(tmp_path / "nope.docx")])
    assert result.exit_code != 0
    assert result.stderr.startswith("error: ")


def test_R_PROT_3_resolver_from_db_matches_profile(app, resolver):
    db_resolver = Resolver.from_db()
    assert set(db_resolver.names) == set(resolver.names)
    for text in ("Управлению образования", "Касымов Б.Е.", "Медеу ауданы"):
        assert [m.code for m in db_resolver.match_executors(text)] == [
            m.code for m in resolver.match_executors(text)
        ]


# --- layouts -----------------------------------------------------------------------------------


def test_R_PROT_3_decisions_sub_items(resolver, calendar):
    parsed = parse(decisions_ru(), resolver, calendar)
    assert parsed.layout == "decisions"
    assert [a.item for a in parsed.assignments] == ["1.1", "1.2", "2.1", "4.1", "4.2"]
    assert parsed.no_assignment == ["3"]
    first = parsed.assignments[0]
    assert first.text.startswith("Управлению земельных отношений")
    assert first.question.startswith("оформления земельного участка")
    assert parsed.official is not None and parsed.official.code == "DEP3"
    assert len(parsed.participants) == 2
    # «Байжанову Е.С.» (dative, head only) is the executor of 2.1; the term is inside the text.
    by_head = parsed.assignments[2]
    assert by_head.executors[0].matched_by == ["head"]
    assert by_head.term.raw == "в месячный срок"


def test_R_PROT_3_kazakh_decisions(resolver, calendar):
    parsed = parse(decisions_kk(), resolver, calendar)
    assert parsed.language == "kk"
    assert (parsed.number, parsed.date) == ("52", date(2026, 11, 12))
    assert _essential([a.to_json() for a in parsed.assignments]) == [
        {
            "item": "1.1",
            "applicant": "Сәрсенбаев Асқар Төлеуұлы",
            "iin": "900101300811",
            "executors": ["EDU"],
            "due": "2026-11-25",
        },
        {
            "item": "1.2",
            "applicant": "Сәрсенбаев Асқар Төлеуұлы",
            "iin": "900101300811",
            "executors": ["ALATAU", "SPORT"],
            "due": "2026-12-14",
        },
    ]
    assert parsed.no_assignment == ["2"]
    assert parsed.official is not None and parsed.official.code == "DEP2"


def test_R_PROT_3_table_columns_in_any_order_with_numbering_row(resolver, calendar):
    blob = docx_bytes(
        [
            "ПРОТОКОЛ № 12",
            "05.11.2026",
            [
                ["Срок", "Исполнитель", "№", "Заявитель", "Поручение", "Суть обращения"],
                ["1", "2", "3", "4", "5", "6"],
                [
                    "10 рабочих дней",
                    "Управление спорта",
                    "1",
                    "Иванов Иван Иванович, ИИН 900101300811",
                    "Рассмотреть",
                    "Спортплощадка",
                ],
                [
                    "до 01.12.2026",
                    "Жетысуский район",
                    "2",
                    "Петрова Анна",
                    "Проверить",
                    "Шум",
                ],
            ],
        ]
    )
    parsed = parse(blob, resolver, calendar)
    assert parsed.number == "12" and parsed.date == date(2026, 11, 5)
    assert _essential([a.to_json() for a in parsed.assignments]) == [
        {
            "item": "1",
            "applicant": "Иванов Иван Иванович",
            "iin": "900101300811",
            "executors": ["SPORT"],
            "due": "2026-11-18",
        },
        {"item": "2", "applicant": "Петрова Анна", "executors": ["ZHETYSU"], "due": "2026-12-01"},
    ]


def test_R_PROT_3_table_without_executor_column_reads_the_assignment(resolver, calendar):
    blob = docx_bytes(
        [
            "ХАТТАМА № 3",
            "2026 жылғы 5 қараша",
            [
                ["Р/с №", "Арыз берушінің аты-жөні", "Мәселенің мәні", "Тапсырма"],
                [
                    "1",
                    "Әлиев Мұрат",
                    "Жол жөндеу",
                    "Алматы қаласының Қалалық мобильділік басқармасына Бостандық ауданы"
                    " әкімінің аппаратымен бірлесіп жолды жөндеу. Мерзімі: 10 жұмыс күні ішінде.",
                ],
            ],
        ]
    )
    parsed = parse(blob, resolver, calendar)
    (a,) = parsed.assignments
    assert a.executor_codes == ["MOBILITY", "BOSTANDYK"]
    assert a.term.due == date(2026, 11, 18)
    assert a.text.endswith("жолды жөндеу.")


def test_R_PROT_3_merged_applicant_rows_become_sub_items(resolver, calendar):
    from docx import Document

    doc = Document()
    doc.add_paragraph("ПРОТОКОЛ № 9 от 15.10.2026")
    table = doc.add_table(rows=3, cols=5)
    for i, title in enumerate(["№", "Заявитель", "Поручение", "Исполнитель", "Срок"]):
        table.rows[0].cells[i].text = title
    table.rows[1].cells[0].text = "1"
    table.rows[1].cells[1].text = "Ким Ольга Викторовна"
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(1, 1).merge(table.cell(2, 1))
    for r, (task, who, term) in enumerate(
        [
            ("Отремонтировать", "Управление жилищной политики", "до 30.10.2026"),
            ("Проверить", "Алмалинский район", "до 06.11.2026"),
        ],
        start=1,
    ):
        table.rows[r].cells[2].text = task
        table.rows[r].cells[3].text = who
        table.rows[r].cells[4].text = term
    import io

    out = io.BytesIO()
    doc.save(out)
    parsed = parse(out.getvalue(), resolver, calendar)
    assert [(a.item, a.applicant.name, a.executor_codes) for a in parsed.assignments] == [
        ("1.1", "Ким Ольга Викторовна", ["HOUSING"]),
        ("1.2", "Ким Ольга Викторовна", ["ALMALY"]),
    ]


def test_R_PROT_3_russian_labelled_paragraphs_and_auto_numbering(resolver, calendar):
    blob = docx_bytes(
        [
            "ПРОТОКОЛ № 15",
            "«15» октября 2026 г.",
            ("Заявитель: Иванов Иван Иванович, ИИН 900101300811, ул. Абая, 1", 9),
            "Суть обращения: ремонт двора.",
            "Поручение: рассмотреть вопрос благоустройства двора.",
            "Исполнитель: Управление комфортной городской среды города Алматы; соисполнитель:"
            " аппарат акима Медеуского района",
            "Срок: в течение 10 календарных дней.",
            ("Заявитель: Петров Пётр, Алатауский район", 9),
            "Поручение: Управлению культуры (Қожахметова М.Ә.) рассмотреть. Срок: до 30.10.2026.",
        ]
    )
    parsed = parse(blob, resolver, calendar)
    assert [(a.item, a.executor_codes, a.term.due) for a in parsed.assignments] == [
        ("1", ["COMFORT", "MEDEU"], date(2026, 10, 27)),
        ("2", ["CULTURE"], date(2026, 10, 30)),
    ]


def test_R_PROT_3_numbered_paragraphs_with_unlabelled_applicant_line(resolver, calendar):
    blob = docx_bytes(
        [
            "Хаттама № 5, 2026 жылғы 5 қараша",
            "1. Сейітқали Дана Асқарқызы (ЖСН 010530500889), Наурызбай ауданы.",
            "Мәселенің мәні: автобус бағыты.",
            "Тапсырма: Қалалық мобильділік басқармасына (Е.С. Байжанов) бағытты қарау.",
            "Мерзімі: 20.11.2026 ж. дейін.",
        ]
    )
    (a,) = parse(blob, resolver, calendar).assignments
    assert (a.applicant.name, a.applicant.iin) == ("Сейітқали Дана Асқарқызы", "010530500889")
    assert a.executor_codes == ["MOBILITY"]
    assert a.term.due == date(2026, 11, 20)


def test_R_PROT_3_one_paragraph_items_and_assignment_verbs(resolver, calendar):
    blob = docx_bytes(
        [
            "Протокол № 5 от 15.10.2026 г.",
            "1. Серикбаев Нурлан Аскарович (ИИН 850315301235), ул. Абая 1 – по вопросу ремонта"
            " кровли. Поручено Управлению жилищной политики города Алматы рассмотреть вопрос."
            " Срок: до 30.10.2026.",
            "2. Арыз беруші: Әлиев Мұрат. Мәселенің мәні: жол. Тапсырма: Қалалық мобильділік"
            " басқармасына жолды жөндеу. Мерзімі: 1 ай ішінде.",
        ]
    )
    first, second = parse(blob, resolver, calendar).assignments
    assert (first.applicant.name, first.executor_codes, first.term.due) == (
        "Серикбаев Нурлан Аскарович",
        ["HOUSING"],
        date(2026, 10, 30),
    )
    assert first.text.startswith("Поручено Управлению")
    assert (second.applicant.name, second.question, second.executor_codes) == (
        "Әлиев Мұрат",
        "жол.",
        ["MOBILITY"],
    )


def test_R_PROT_3_heard_in_the_genitive_and_speakers(resolver, calendar):
    blob = docx_bytes(
        [
            "ПРОТОКОЛ № 6",
            "15 октября 2026 года",
            "1. СЛУШАЛИ:",
            "Серикбаева Нурлана Аскаровича (ИИН 850315301235) по вопросу горячей воды.",
            "ВЫСТУПИЛИ:",
            "Касымов Б.Е. – пояснил, что ремонт сетей завершится в ноябре.",
            "ПОСТАНОВИЛИ:",
            "1.1. Управлению энергетики и водоснабжения обеспечить подачу горячей воды до"
            " 06.11.2026.",
            "2. СЛУШАЛИ: Ахметжановой Гульнары Сериковны по вопросу пособия.",
            "ПОСТАНОВИЛИ: Разъяснено на месте.",
        ]
    )
    parsed = parse(blob, resolver, calendar)
    (a,) = parsed.assignments
    assert (a.item, a.applicant.name, a.executor_codes, a.term.due) == (
        "1.1",
        "Серикбаев Нурлан Аскарович",
        ["ENERGY"],
        date(2026, 11, 6),
    )
    assert any("nominative" in w for w in a.warnings)
    assert parsed.items[1].applicant.name == "Ахметжанова Гульнара Сериковна"
    assert parsed.no_assignment == ["2"]


@pytest.mark.parametrize(
    ("written", "nominative"),
    [
        ("Серикбаева Нурлана Аскаровича", "Серикбаев Нурлан Аскарович"),
        ("Ким Ольги Викторовны", "Ким Ольга Викторовна"),
        ("Жумабаевой Айнур Сериковны", "Жумабаева Айнур Сериковна"),
        ("Сергеева Андрея Петровича", "Сергеев Андрей Петрович"),
        ("Жұмабаева Айнұр Серікқызы", None),
    ],
)
def test_R_PROT_3_genitive_names(written, nominative):
    from docflow.protocols.minutes import nominative_name

    got = nominative_name(written)
    assert (got[1] if got else None) == nominative


# --- executors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "free", "codes"),
    [
        # subdivisions in any case ending, with or without the city
        ("Управлению образования", True, ["EDU"]),
        ("Управление образования города Алматы", False, ["EDU"]),
        ("Управлением образования", False, ["EDU"]),
        ("Алматы қаласының Білім басқармасына", True, ["EDU"]),
        ("Білім басқармасы", False, ["EDU"]),
        ("Білім басқармасымен", False, ["EDU"]),
        ("Алматы қаласының Білім басқармасының", False, ["EDU"]),
        # district akimats
        ("аппарату акима Алмалинского района", True, ["ALMALY"]),
        ("аппарат акима Медеуского района", False, ["MEDEU"]),
        ("Алмалинский район", False, ["ALMALY"]),
        ("Медеу ауданы", False, ["MEDEU"]),
        ("Медеу ауданы әкімінің аппаратымен", False, ["MEDEU"]),
        ("Түрксіб ауданы әкімдігіне", True, ["TURKSIB"]),
        ("Алмалинскому районному акимату", True, ["ALMALY"]),
        ("Ауэзовский район", False, ["AUEZOV"]),
        # heads, Russian or Kazakh spelling, initials before or after
        ("Касымов Б.Е.", False, ["ENERGY"]),
        ("Б.Е. Қасымов", False, ["ENERGY"]),
        ("Ж.Б. Тұрсынова", False, ["EDU"]),
        ("Тұрсынова Ж.Б.", False, ["EDU"]),
        ("Алиев С.Ж.", False, ["HOUSING"]),
        ("Байжанов Е.С.", False, ["MOBILITY"]),
        ("Касымову Б.Е. обеспечить подачу воды", True, ["ENERGY"]),
        ("Қасымов Бақытжан Ерланұлы", False, ["ENERGY"]),
        # both a subdivision and its head → one executor
        ("Управление энергетики и водоснабжения (Касымов Б.Е.)", False, ["ENERGY"]),
        ("Алматы қаласының Білім басқармасына (Ж.Б. Тұрсынова) жауап беру", True, ["EDU"]),
        # co-executors
        (
            "Управлению жилищной политики совместно с аппаратом акима Алмалинского района"
            " рассмотреть",
            True,
            ["HOUSING", "ALMALY"],
        ),
        (
            "Медеу ауданы әкімінің аппаратымен бірлесіп Алматы қаласының Жайлы қалалық орта"
            " басқармасына ойын алаңын жөндеу",
            True,
            ["COMFORT", "MEDEU"],
        ),
        (
            "Управление образования, Управление спорта и аппарат акима Медеуского района",
            False,
            ["EDU", "SPORT", "MEDEU"],
        ),
        ("Управление образования и Алмалинский район", False, ["EDU", "ALMALY"]),
        ("Білім басқармасы мен Спорт басқармасы", False, ["EDU", "SPORT"]),
        ("Білім басқармасы және Медеу ауданы әкімінің аппараты", False, ["EDU", "MEDEU"]),
        # names shared by words of the sentence are not executors
        ("ыстық сумен жабдықтауды қалпына келтіру", True, []),
        ("Управлению образования рассмотреть вопрос в Ауэзовском районе", True, ["EDU"]),
        ("Білім басқармасына Әуезов ауданындағы балабақшаға орналастыру", True, ["EDU"]),
        ("по письму Управления образования провести проверку", True, []),
        ("—", False, []),
        ("ТОО «Алматы Су»", False, [None]),
        ("Акимат района", False, [None]),
    ],
)
def test_R_PROT_3_executor_forms(resolver, text, free, codes):
    matches = resolver.match_executors(text, free=free)
    assert [m.code for m in matches] == codes
    for m in matches:
        assert (m.confidence >= 0.6) == (m.code is not None)
    if codes:
        assert matches[0].role == "responsible"
        assert all(m.role == "co" for m in matches[1:])


def test_R_PROT_3_unmatched_executor_is_never_guessed(resolver):
    (m,) = resolver.match_executors("Управление цифровизации города Алматы")
    assert m.code is None and m.confidence < 0.6
    (m,) = resolver.match_executors("Сейтов А.Б.")
    assert m.code is None and "official" in (m.note or "")
    (m,) = resolver.match_executors("аппарат акима")  # which district? not said
    assert m.code is None


def test_R_PROT_3_head_of_another_subdivision_is_flagged(resolver):
    (m,) = resolver.match_executors("Управление энергетики (Тұрсынова Ж.Б.)")
    assert m.code == "ENERGY"
    assert "not in this subdivision" in (m.note or "")


# --- terms -------------------------------------------------------------------------------------

D41 = date(2026, 10, 15)  # Thursday; 25 and 26 October 2026 are days off (Republic Day)
D44 = date(2026, 11, 5)


@pytest.mark.parametrize(
    ("raw", "start", "due", "kind"),
    [
        ("до 30.10.2026", D41, date(2026, 10, 30), "date"),
        ("до 13 ноября 2026 года", D41, date(2026, 11, 13), "date"),
        ("до 5 января 2027 г.", D41, date(2027, 1, 5), "date"),
        ("2026 жылғы 20 қарашаға дейін", D44, date(2026, 11, 20), "date"),
        ("2026 жылғы «1» желтоқсанға дейін", D44, date(2026, 12, 1), "date"),
        ("2026 жылғы 1 желтоқсан", D44, date(2026, 12, 1), "date"),
        ("20.11.2026 ж. дейін", D44, date(2026, 11, 20), "date"),
        ("2026-12-01", D44, date(2026, 12, 1), "date"),
        ("в течение 15 рабочих дней", D41, date(2026, 11, 5), "working_days"),
        ("10 жұмыс күні ішінде", D44, date(2026, 11, 18), "working_days"),
        ("в течение 10 (десяти) рабочих дней", D41, date(2026, 10, 29), "working_days"),
        ("в течение 10 календарных дней", D41, date(2026, 10, 27), "calendar_days"),
        ("10 күнтізбелік күн ішінде", D44, date(2026, 11, 16), "calendar_days"),
        ("в месячный срок", D41, date(2026, 11, 16), "months"),
        ("в течение месяца", D41, date(2026, 11, 16), "months"),
        ("1 ай ішінде", D44, date(2026, 12, 7), "months"),
        ("бір ай ішінде", D44, date(2026, 12, 7), "months"),
        ("в течение двух недель", D41, date(2026, 10, 29), "weeks"),
    ],
)
def test_R_PROT_3_R_DEADLINE_1_term_forms(calendar, raw, start, due, kind):
    term = parse_term(raw, start, calendar)
    assert (term.due, term.kind) == (due, kind)
    assert term.problem is None


def test_R_DEADLINE_1_minutes_day_is_day_one(calendar):
    # A working-day term counts the day of the minutes (a working day) as day 1.
    assert parse_term("1 рабочий день", D41, calendar).due == D41
    saturday = date(2026, 10, 17)
    assert parse_term("1 рабочий день", saturday, calendar).due == date(2026, 10, 19)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("по мере необходимости", "unreadable"),
        ("незамедлительно", "unreadable"),
        ("до 31.02.2026", "unreadable"),
        ("когда-нибудь", "unreadable"),
        ("", "missing"),
    ],
)
def test_R_PROT_3_unreadable_terms_have_no_date(calendar, raw, kind):
    term = parse_term(raw, D41, calendar)
    assert term.due is None and term.kind == kind and term.problem


def test_R_PROT_3_term_warnings(calendar):
    assert "year" in (parse_term("до 30 октября", D41, calendar).warning or "")
    unit = parse_term("в 10-дневный срок", D41, calendar)
    assert unit.due == date(2026, 10, 27) and "calendar" in (unit.warning or "")
    both = parse_term("в течение 10 рабочих дней, но не позднее 20.10.2026", D41, calendar)
    assert both.due == date(2026, 10, 20) and "several" in (both.warning or "")
    no_start = parse_term("в течение 15 рабочих дней", None, calendar)
    assert no_start.due is None and no_start.problem


def test_R_PROT_3_term_in_free_text_needs_a_marker(calendar):
    text = "Ремонт не проводился с 1998 года, письмо от 01.09.2026. Срок - до 01.12.2026"
    term = parse_term(text, D41, calendar, free=True)
    assert term.due == date(2026, 12, 1) and term.raw == "до 01.12.2026"
    assert parse_term("письмо от 01.09.2026", D41, calendar, free=True).due is None


# --- applicants --------------------------------------------------------------------------------


def test_R_PROT_3_applicants():
    a = parse_applicant("Серикбаев Нурлан Аскарович, ИИН 850315301235, Алмалинский район, д. 1")
    assert (a.name, a.kind, a.iin, a.identifier_valid) == (
        "Серикбаев Нурлан Аскарович",
        "person",
        "850315301235",
        True,
    )
    assert a.address == "Алмалинский район, д. 1"
    e = parse_applicant("ТОО «Алем, Строй», БИН 940140000385, в лице директора Жаксылыкова Р.Т.")
    assert (e.name, e.kind, e.bin, e.iin) == ("ТОО «Алем, Строй»", "entity", "940140000385", None)
    bare = parse_applicant("Жұмабаева Айнұр (920704404563)")
    assert bare.iin == "920704404563" and bare.identifier_valid
    bad = parse_applicant("Иванов И.И., ИИН 850315301236")
    assert bad.iin == "850315301236" and bad.identifier_valid is False


def test_R_PROT_3_problems_are_shown_never_guessed(resolver, calendar):
    blob = docx_bytes(
        [
            "ПРОТОКОЛ № 2",
            "15 октября 2026 года",
            [
                ["№", "Заявитель", "Поручение", "Исполнитель", "Срок"],
                [
                    "1",
                    "Иванов И.И., ИИН 850315301236",
                    "Рассмотреть",
                    "Управление цифровизации",
                    "по мере необходимости",
                ],
                ["2", "Петров П.П.", "Проверить", "Управление спорта", "когда будет готово"],
                ["3", "Сидоров С.С.", "Дать ответ", "", "до 01.11.2026"],
            ],
        ]
    )
    parsed = parse(blob, resolver, calendar)
    first, second, third = parsed.items
    assert first.executors[0].code is None
    assert first.term.due is None
    codes = {p.code for p in first.problems}
    assert codes == {"executor_unmatched", "term_unreadable", "invalid_identifier"}
    assert first.to_json()["executors"] == [] and first.to_json()["due"] is None
    assert second.executor_codes == ["SPORT"] and second.term.due is None
    assert {p.code for p in third.problems} == {"no_executor"}
    preview = parsed.preview()
    assert preview["summary"]["problems"] == 5
    item = preview["items"][0]
    assert item["executors"][0]["text"] == "Управление цифровизации"
    assert item["term"]["raw"] == "по мере необходимости" and item["term"]["due"] is None
    assert item["confidence"] == 0.0


def test_R_PROT_3_explained_on_the_spot(resolver, calendar):
    blob = docx_bytes(
        [
            "ХАТТАМА № 8",
            "2026 жылғы 5 қараша",
            "1. Арыз беруші: Омарова Әсем.",
            "Мәселенің мәні: жәрдемақы.",
            "Тапсырма: орнында түсіндірілді, тапсырма талап етілмейді.",
            "2. Арыз беруші: Ахметов Болат.",
            "Тапсырма: Спорт басқармасына жауап беру.",
            "Мерзімі: 10 жұмыс күні ішінде.",
        ]
    )
    parsed = parse(blob, resolver, calendar)
    assert parsed.no_assignment == ["1"]
    assert [a.item for a in parsed.assignments] == ["2"]


def test_R_PROT_3_minutes_without_number_or_date_warn(resolver, calendar):
    blob = docx_bytes(
        [
            [
                ["№", "Заявитель", "Поручение", "Исполнитель", "Срок"],
                [
                    "1",
                    "Иванов И.И.",
                    "Рассмотреть",
                    "Управление спорта",
                    "в течение 5 рабочих дней",
                ],
            ]
        ]
    )
    parsed = parse(blob, resolver, calendar)
    assert parsed.number is None and parsed.date is None
    assert len(parsed.warnings) == 2
    (a,) = parsed.assignments
    assert a.term.due is None and a.problems[0].code == "term_unreadable"


def test_R_PROT_3_path_and_bytes_give_the_same(resolver, calendar):
    path = DATA / "minutes-kk-paragraphs.docx"
    assert (
        parse_minutes(path, resolver, calendar).to_json()
        == parse_minutes(str(path), resolver, calendar).to_json()
        == parse_minutes(path.read_bytes(), resolver, calendar).to_json()
    )


def test_R_PROT_3_error_carries_code(resolver, calendar):
    with pytest.raises(MinutesError) as err:
        parse_minutes(b"", resolver, calendar)
    assert err.value.code == "empty" and str(err.value) == "The file is empty."
