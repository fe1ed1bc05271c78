"""Minutes out: generated minutes (kk and ru, default or office template) read back into the
same assignments (R-PROT-1..3)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from docflow.core.calendar import WorkingCalendar
from docflow.org.profile import DEMO_PROFILE, read_profile
from docflow.protocols.minutes import MinutesError, Resolver, parse_minutes
from docflow.protocols.minutes_out import (
    TEMPLATES,
    MinutesData,
    Visitor,
    build_context,
    format_date,
    format_term,
    render_minutes,
    short_name,
)

DATA = Path(__file__).parent / "data"
SAMPLES = ["minutes-ru-table", "minutes-kk-paragraphs", "minutes-ru-decisions"]


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_profile(read_profile(DEMO_PROFILE))


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def minutes_from_expected(name: str, resolver: Resolver) -> MinutesData:
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    visitors = [
        Visitor(
            applicant=a["applicant"],
            question="Вопрос заявителя",
            decision="Рассмотреть и дать ответ заявителю",
            executors=a["executors"],
            due=date.fromisoformat(a["due"]),
            iin=a.get("iin"),
            bin=a.get("bin"),
            address="Алматы, ул. Абая, 10",
        )
        for a in expected["assignments"]
    ]
    visitors += [
        Visitor(applicant="Ахметжанова Гульнара Сериковна", question="Пособие", no_assignment=True)
        for _ in expected["no_assignment"]
    ]
    return MinutesData(
        number=expected["number"],
        date=date.fromisoformat(expected["date"]),
        official_name="Айдос Болатұлы Сейітов",
        official_position={"ru": "Заместитель акима", "kk": "Әкімнің орынбасары"},
        participants=["Ахметова С.М. – руководитель отдела", "Касымов Б.Е."],
        visitors=visitors,
        subdivision_names=resolver.names,
    )


def assignments_of(parsed) -> list[tuple]:
    return [
        (a.applicant.name, a.applicant.iin, a.applicant.bin, a.executor_codes, a.term.due)
        for a in parsed.assignments
    ]


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("name", SAMPLES)
def test_R_PROT_1_generated_minutes_read_back(resolver, calendar, lang, name):
    data = minutes_from_expected(name, resolver)
    blob = render_minutes(data, lang)
    parsed = parse_minutes(blob, resolver, calendar)
    assert parsed.number == data.number and parsed.date == data.date
    assert parsed.language == lang
    want = [
        (v.applicant, v.iin, v.bin, list(v.executors), v.due)
        for v in data.visitors
        if not v.no_assignment
    ]
    assert assignments_of(parsed) == want
    assert len(parsed.no_assignment) == sum(v.no_assignment for v in data.visitors)
    assert parsed.problems == []
    assert parsed.official is not None and parsed.official.code == "DEP1"
    # The executor names are written in the minutes' language.
    text = "\n".join(
        c.text for t in Document(io.BytesIO(blob)).tables for r in t.rows for c in r.cells
    )
    first = data.visitors[0].executors[0]
    assert resolver.names[first][lang] in text


def test_R_PROT_1_parsed_minutes_written_again_are_the_same(resolver, calendar):
    parsed = parse_minutes(DATA / "minutes-ru-table.docx", resolver, calendar)
    data = MinutesData(
        number=parsed.number or "",
        date=parsed.date or date.today(),
        official_name=resolver.official_name("DEP1") or "",
        visitors=[
            Visitor(
                applicant=i.applicant.name or "",
                question=i.question,
                decision=i.text,
                executors=i.executor_codes,
                due=i.term.due,
                iin=i.applicant.iin,
                bin=i.applicant.bin,
                address=i.applicant.address,
                no_assignment=i.no_assignment,
            )
            for i in parsed.items
        ],
        subdivision_names=resolver.names,
    )
    for lang in ("ru", "kk"):
        again = parse_minutes(render_minutes(data, lang), resolver, calendar)
        assert [
            {k: v for k, v in a.items() if k != "text"} for a in again.to_json()["assignments"]
        ] == [{k: v for k, v in a.items() if k != "text"} for a in parsed.to_json()["assignments"]]
        assert again.no_assignment == parsed.no_assignment


def test_R_PROT_1_special_characters_are_escaped(resolver, calendar):
    data = MinutesData(
        number="7",
        date=date(2026, 10, 15),
        official_name="Ерғали Сапарұлы Төлегенов",
        visitors=[
            Visitor(
                applicant="ТОО «A&B <Строй>»",
                question="Вопрос <b>с</b> & символами",
                decision="Рассмотреть {{ не шаблон }}",
                executors=["EDU"],
                due=date(2026, 11, 2),
                bin="940140000385",
            )
        ],
        subdivision_names=resolver.names,
    )
    parsed = parse_minutes(render_minutes(data, "ru"), resolver, calendar)
    (a,) = parsed.assignments
    assert a.applicant.name == "ТОО «A&B <Строй>»"
    assert a.question == "Вопрос <b>с</b> & символами"
    assert a.text == "Рассмотреть {{ не шаблон }}"


def test_R_PROT_1_office_template_is_used(resolver, calendar, tmp_path):
    doc = Document(str(TEMPLATES / "minutes-ru.docx"))
    doc.paragraphs[1].text = "личного приема граждан (шаблон канцелярии) {{ visitors|length }}"
    custom = tmp_path / "office.docx"
    doc.save(str(custom))
    data = minutes_from_expected("minutes-ru-table", resolver)
    blob = render_minutes(data, "ru", template=custom)
    texts = [p.text for p in Document(io.BytesIO(blob)).paragraphs]
    assert "личного приема граждан (шаблон канцелярии) 4" in texts
    assert len(parse_minutes(blob, resolver, calendar).assignments) == 3


@pytest.mark.parametrize(
    "tag",
    [
        "{{ broken",  # syntax error
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",  # sandbox
    ],
)
def test_R_PROT_1_bad_office_template_is_refused(resolver, tmp_path, tag):
    doc = Document(str(TEMPLATES / "minutes-ru.docx"))
    doc.add_paragraph(tag)
    custom = tmp_path / "bad.docx"
    doc.save(str(custom))
    with pytest.raises(MinutesError) as err:
        render_minutes(minutes_from_expected("minutes-ru-table", resolver), "ru", custom)
    assert err.value.code == "bad_template"


def test_R_PROT_1_hostile_template_is_refused(resolver, tmp_path):
    from tests.protocols.minutes_hostile import external_entity

    custom = tmp_path / "xxe.docx"
    custom.write_bytes(external_entity())
    with pytest.raises(MinutesError) as err:
        render_minutes(minutes_from_expected("minutes-ru-table", resolver), "ru", custom)
    assert err.value.code == "unsafe"


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_R_PROT_1_explained_visitor_with_own_words_reads_back(resolver, calendar, lang):
    data = MinutesData(
        number="3",
        date=date(2026, 11, 5),
        official_name="Ерғали Сапарұлы Төлегенов",
        visitors=[
            Visitor(
                applicant="Омарова Әсем",
                question="Жәрдемақы",
                decision="Консультация дана",
                no_assignment=True,
            ),
            Visitor(
                applicant="Ахметов Болат",
                decision="Ответить",
                executors=["SPORT"],
                due=date(2026, 11, 20),
            ),
        ],
        subdivision_names=resolver.names,
    )
    parsed = parse_minutes(render_minutes(data, lang), resolver, calendar)
    assert parsed.no_assignment == ["1"]
    assert [a.executor_codes for a in parsed.assignments] == [["SPORT"]]
    assert parsed.items[0].text.startswith("Консультация дана. ")


def test_R_PROT_1_formats():
    assert format_date(date(2026, 11, 5), "kk") == "2026 жылғы 5 қараша"
    assert format_date(date(2026, 10, 15), "ru") == "15 октября 2026 года"
    assert format_term(date(2026, 11, 20), "kk") == "2026 жылғы 20 қарашаға дейін"
    assert format_term(date(2026, 10, 30), "ru") == "до 30.10.2026"
    assert format_term(None, "ru") == "—"
    assert short_name("Айдос Болатұлы Сейітов", "ru") == "Сейітов А.Б."
    assert short_name("Айдос Болатұлы Сейітов", "kk") == "А.Б. Сейітов"
    assert short_name("Касымов Бахытжан Ерланович", "ru") == "Касымов Б.Е."


def test_R_PROT_1_context_lists_responsible_first(resolver):
    data = minutes_from_expected("minutes-kk-paragraphs", resolver)
    ctx = build_context(data, "kk")
    second = ctx["visitors"][1]
    assert second["responsible"] == resolver.names["COMFORT"]["kk"]
    assert second["co_executors"] == [resolver.names["MEDEU"]["kk"]]
    assert "бірлесіп" in second["executors_text"]
    with pytest.raises(ValueError):
        build_context(data, "en")  # type: ignore[arg-type]
