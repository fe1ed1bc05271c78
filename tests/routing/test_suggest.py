"""Routing suggestions (R-ROUTE-1): the competence map, the classifier, their combination, the
cached classifier over ``routing_example`` rows, and ``flask routing train`` / ``suggest``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from docflow.core.settings import get_setting, set_setting
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.org.profile import DEMO_PROFILE, read_profile
from docflow.routing.cli import routing_cli
from docflow.routing.models import RoutingExample
from docflow.routing.suggest import (
    Classifier,
    CompetenceMap,
    ExampleError,
    add_examples,
    competence_from_settings,
    current_classifier,
    suggest,
    suggest_for_text,
)

HISTORY = Path(__file__).parent / "data" / "history.jsonl"
DISTRICTS = {"ALATAU", "ALMALY", "AUEZOV", "BOSTANDYK", "ZHETYSU", "MEDEU", "NAURYZBAY", "TURKSIB"}

EXAMPLES = [
    ("Нет горячей воды в доме", "ENERGY"),
    ("Отключили отопление, батареи холодные", "ENERGY"),
    ("Үйде жылу жоқ, батареялар суық", "ENERGY"),
    ("Автобус маршрута 32 ходит редко", "MOBILITY"),
    ("Аялдамада автобус күту бір сағат", "MOBILITY"),
    ("Не работает светофор на перекрестке", "MOBILITY"),
    ("Баламды мектепке қабылдамады", "EDU"),
    ("Очередь в детский сад не движется", "EDU"),
    ("Учитель грубит детям в школе", "EDU"),
]


@pytest.fixture(scope="module")
def demo_map() -> CompetenceMap:
    return CompetenceMap.from_profile_setting(read_profile(DEMO_PROFILE)["competence"])


@pytest.fixture
def competence(app) -> CompetenceMap:
    """The map as the app reads it; stored here until the profile loader stores it itself."""
    if get_setting("competence") is None:
        set_setting("competence", read_profile(DEMO_PROFILE)["competence"])
        db.session.commit()
    return competence_from_settings()


def best(scores: dict) -> str:
    return max(scores, key=lambda code: scores[code][0])


# --- the competence map -----------------------------------------------------------------------


def test_profile_map_covers_every_subdivision_in_both_languages():
    profile = read_profile(DEMO_PROFILE)
    assert set(profile["competence"]) == {s["code"] for s in profile["subdivisions"]}
    for code, entry in profile["competence"].items():
        assert entry["kk"] and entry["ru"], code
        if code in DISTRICTS:
            assert entry["names"], code


@pytest.mark.parametrize(
    "text", ["Үйде ыстық су жоқ, жылу берілмейді", "Нет горячей воды и отопления"]
)
def test_r_route_1_competence_map_puts_energy_first_for_heating(demo_map, text):
    scores = demo_map.score(text)
    assert best(scores) == "ENERGY"


@pytest.mark.parametrize(
    "text",
    [
        "Балабақшаға кезекте үш жыл тұрмыз, әлі орын берілмеді",
        "Очередь в детский сад не движется уже третий год",
    ],
)
def test_r_route_1_competence_map_puts_edu_first_for_kindergarten_queue(demo_map, text):
    assert best(demo_map.score(text)) == "EDU"


@pytest.mark.parametrize(
    "text",
    [
        "Медеу ауданындағы ауламызда балалар алаңы сынған, орындықтар жоқ",
        "Во дворе нашего дома в Медеуском районе разбит асфальт и не горят фонари",
    ],
)
def test_r_route_1_a_named_district_gets_its_local_question(demo_map, text):
    scores = demo_map.score(text)
    assert best(scores) == "MEDEU"
    assert not (set(scores) & DISTRICTS) - {"MEDEU"}


def test_r_route_1_without_a_district_name_the_city_department_answers(demo_map):
    # Yards are local questions, but which district? Unnamed → no district is guessed.
    scores = demo_map.score("Ауладағы балалар алаңы сынған, орындықтар жоқ")
    assert best(scores) == "COMFORT"
    assert not set(scores) & DISTRICTS


def test_terms_match_inflected_words_and_russian_keyboard_spelling(demo_map):
    # Kazakh suffixes are appended to the stem; Russian endings replace the term's own.
    # (The longest term covering a word is the one reported: «су құбыр» rather than «құбыр».)
    assert "су құбыр" in demo_map.score("Үйдің су құбырын ауыстыру керек")["ENERGY"][1]
    assert "құбыр" in demo_map.score("Үйдің құбырын ауыстыру керек")["ENERGY"][1]
    assert "горячая вода" in demo_map.score("Нет горячей воды")["ENERGY"][1]
    # «құбыр» typed on a Russian keyboard as «кубыр».
    assert "су құбыр" in demo_map.score("Су кубыры жарылды")["ENERGY"][1]


def test_phrases_need_their_words_close_together():
    terms = CompetenceMap.from_profile_setting({"EDU": {"ru": ["очередь в детский сад"]}})
    found = terms.score("Очередь на детский сад")
    assert found["EDU"][1] == ["очередь в детский сад"]
    assert found["EDU"][0] >= 2.0  # a three-word phrase outweighs a word
    assert terms.score("Очередь в поликлинике огромная, а детский сад закрыт") == {}


def test_malformed_map_is_refused_with_the_code_named():
    with pytest.raises(ValueError, match="ENERGY"):
        CompetenceMap.from_profile_setting({"ENERGY": {"kk": "жылу"}})


# --- the classifier ---------------------------------------------------------------------------


def test_classifier_learns_from_examples():
    clf = Classifier.train(EXAMPLES)
    scores = clf.scores("Горячей воды нет уже неделю, батареи холодные")
    assert set(scores) == {"ENERGY", "MOBILITY", "EDU"}
    assert sum(scores.values()) == pytest.approx(1.0)
    assert max(scores, key=scores.get) == "ENERGY"
    bus = clf.scores("Автобус на остановке не дождаться, маршрут отменили")
    assert max(bus, key=bus.get) == "MOBILITY"
    assert clf.similar("Автобус маршрута 12 не ходит").most_common(1)[0][0] == "MOBILITY"


def test_classifier_with_one_subdivision_is_certain():
    clf = Classifier.train([("Нет горячей воды", "ENERGY")])
    assert clf.scores("что угодно") == {"ENERGY": 1.0}


# --- combining --------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_suggest_returns_at_most_k_distinct_codes_never_excluded(demo_map, k):
    clf = Classifier.train(EXAMPLES)
    text = "Нет горячей воды, а автобус до школы не ходит"
    result = suggest(text, competence=demo_map, classifier=clf, k=k, exclude={"ENERGY"})
    codes = [s.code for s in result]
    assert 0 < len(codes) <= k
    assert len(set(codes)) == len(codes)
    assert "ENERGY" not in codes
    assert [s.score for s in result] == sorted((s.score for s in result), reverse=True)


def test_suggest_keeps_to_allowed_codes(demo_map):
    clf = Classifier.train(EXAMPLES)
    result = suggest(
        "Нет горячей воды", competence=demo_map, classifier=clf, allowed={"EDU", "MOBILITY"}
    )
    assert result and {s.code for s in result} <= {"EDU", "MOBILITY"}


def test_suggest_gives_a_reason_from_each_source(demo_map):
    clf = Classifier.train(EXAMPLES)
    top = suggest("Нет горячей воды и отопления", competence=demo_map, classifier=clf)[0]
    assert top.code == "ENERGY"
    assert top.reason["source"] == "competence"
    assert "отопление" in top.reason["terms"]
    assert top.reason["similar"] >= 1
    # A text the map does not know: the history alone speaks.
    only = suggest("Маршрут 32 ходит редко", competence=CompetenceMap(), classifier=clf)[0]
    assert only.code == "MOBILITY"
    assert only.reason["source"] == "history" and "terms" not in only.reason
    assert only.reason["similar"] >= 1


def test_suggest_falls_back_gracefully(demo_map):
    clf = Classifier.train(EXAMPLES)
    text = "Нет горячей воды"
    # No history: the map alone.
    assert suggest(text, competence=demo_map, classifier=None)[0].code == "ENERGY"
    # Nothing in the map matches: the classifier alone.
    assert suggest("Маршрут 32 ходит редко", competence=demo_map, classifier=clf)[0].code == (
        "MOBILITY"
    )
    # Neither: nothing to suggest.
    assert suggest(text, competence=CompetenceMap(), classifier=None) == []
    assert suggest("Qwerty", competence=demo_map, classifier=None) == []


# --- the database: examples, cache, settings --------------------------------------------------


def test_add_examples_refuses_unknown_codes_naming_the_line(app):
    with pytest.raises(ExampleError, match=r"line 2: unknown subdivision code 'NOPE'"):
        add_examples([("Нет воды", "ENERGY"), ("Текст", "NOPE")])
    db.session.rollback()
    assert db.session.scalar(select(func.count(RoutingExample.id))) == 0


def test_classifier_cache_is_invalidated_by_new_examples(app):
    assert current_classifier() is None
    add_examples(EXAMPLES[:6])
    first = current_classifier()
    assert first is current_classifier()  # cached, not retrained
    assert set(first.classes) == {"ENERGY", "MOBILITY"}
    add_examples(EXAMPLES[6:], source="routed")
    second = current_classifier()
    assert second is not first
    assert set(second.classes) == {"ENERGY", "MOBILITY", "EDU"}


def test_suggest_for_text_uses_the_settings_map_and_the_history(app, competence):
    add_examples(EXAMPLES)
    db.session.commit()
    result = suggest_for_text("Үйде ыстық су жоқ, жылу берілмейді", exclude={"HOUSING"})
    assert result[0].code == "ENERGY"
    assert len(result) == 3 and "HOUSING" not in [s.code for s in result]


def test_suggest_for_text_skips_inactive_subdivisions(app, competence):
    db.session.execute(
        Subdivision.__table__.update().where(Subdivision.code == "ENERGY").values(active=False)
    )
    assert "ENERGY" not in [s.code for s in suggest_for_text("Нет горячей воды и отопления")]


# --- the command line -------------------------------------------------------------------------


def test_cli_train_then_suggest_round_trip(app, runner, competence):
    result = runner.invoke(routing_cli, ["train", str(HISTORY)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "imported 210 example(s)"
    assert db.session.scalar(select(func.count(RoutingExample.id))) == 210

    result = runner.invoke(routing_cli, ["suggest", str(HISTORY)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(HISTORY.read_text(encoding="utf-8").splitlines())
    known = set(db.session.scalars(select(Subdivision.code)))
    for line in lines:
        codes = json.loads(line)["suggestions"]
        assert len(codes) == 3 and len(set(codes)) == 3 and set(codes) <= known


def test_cli_train_replace_drops_earlier_imports(app, runner, tmp_path):
    file = tmp_path / "two.jsonl"
    file.write_text(
        "".join(json.dumps({"text": t, "subdivision": c}) + "\n" for t, c in EXAMPLES[:2]),
        encoding="utf-8",
    )
    add_examples([EXAMPLES[2]], source="routed")
    for _ in range(2):
        assert runner.invoke(routing_cli, ["train", str(file)]).exit_code == 0
    assert db.session.scalar(select(func.count(RoutingExample.id))) == 5
    assert runner.invoke(routing_cli, ["train", "--replace", str(file)]).exit_code == 0
    sources = db.session.scalars(select(RoutingExample.source)).all()
    assert sorted(sources) == ["import", "import", "routed"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"text": "Нет воды", "subdivision": "NOPE"}', "line 3: unknown subdivision code 'NOPE'"),
        ('{"text": "Нет воды"', "line 3: not valid JSON"),
        ('{"text": "Нет воды"}', 'line 3: "subdivision" is missing'),
        ('{"text": "", "subdivision": "ENERGY"}', 'line 3: "text" must be a non-empty string'),
    ],
)
def test_cli_train_bad_line_fails_cleanly_and_imports_nothing(app, runner, tmp_path, bad, message):
    good = json.dumps({"text": "Нет горячей воды", "subdivision": "ENERGY"}, ensure_ascii=False)
    file = tmp_path / "bad.jsonl"
    file.write_text(f"{good}\n\n{bad}\n{good}\n", encoding="utf-8")  # line 2 is blank
    result = runner.invoke(routing_cli, ["train", str(file)])
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert db.session.scalar(select(func.count(RoutingExample.id))) == 0


def test_cli_suggest_without_history_uses_the_map(app, runner, competence, tmp_path):
    file = tmp_path / "new.jsonl"
    file.write_text(
        json.dumps({"text": "Нет горячей воды и отопления"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(routing_cli, ["suggest", str(file)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["suggestions"][0] == "ENERGY"
