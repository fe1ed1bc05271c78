"""Routing suggestions beyond the samples (R-ROUTE-1): appeals from ``appeal_generator`` (subjects
never seen in the history, in many wordings and spellings), what and where kept apart, the
matching rules one by one, the history trusted by how well it knows the question, and the
benchmark's split by question.
"""

from __future__ import annotations

import importlib.util
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from docflow.org.profile import DEMO_PROFILE, read_profile
from docflow.routing.competence import normalize
from docflow.routing.suggest import (
    Classifier,
    CompetenceMap,
    Weights,
    combine,
    district_for_text,
    route,
    routing_for_text,
    suggest,
)
from tests.routing.appeal_generator import (
    DISTRICTS,
    LOCAL,
    NOISES,
    SUBJECTS,
    appeals,
    district_forms,
    sentence_with_district,
)

HISTORY = Path(__file__).parent / "data" / "history.jsonl"
BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "routing_accuracy.py"
# The targets for questions the history has not seen.
TOP1, TOP3 = 0.85, 0.97


@pytest.fixture(scope="module")
def demo_map() -> CompetenceMap:
    return CompetenceMap.from_profile_setting(read_profile(DEMO_PROFILE)["competence"])


@pytest.fixture(scope="module")
def history() -> list[tuple[str, str]]:
    lines = HISTORY.read_text(encoding="utf-8").splitlines()
    return [(d["text"], d["subdivision"]) for d in map(json.loads, filter(str.strip, lines))]


def accuracy(results: list[tuple[str, str, list[str]]]) -> dict[str, tuple[float, float]]:
    """Per language (and "all"): (top-1, top-3) of (lang, truth, ranked codes) triples."""
    by: dict[str, list[tuple[int, int]]] = {"all": []}
    for lang, truth, ranked in results:
        hit = (int(ranked[:1] == [truth]), int(truth in ranked[:3]))
        by["all"].append(hit)
        by.setdefault(lang, []).append(hit)
    return {
        k: (sum(a for a, _ in v) / len(v), sum(b for _, b in v) / len(v)) for k, v in by.items()
    }


def test_the_subjects_are_not_in_the_samples(history):
    texts = [normalize(text) for text, _ in history]
    for langs in SUBJECTS.values():
        for subjects in langs.values():
            for subject in subjects:
                assert not any(normalize(subject) in text for text in texts), subject


# --- what: questions the history has never seen ------------------------------------------------


def test_r_route_1_new_questions_reach_their_subdivision_in_kk_and_ru(demo_map):
    results = [
        (a.lang, a.code, [s.code for s in suggest(a.text, competence=demo_map, classifier=None)])
        for a in appeals(seed=1)
    ]
    scores = accuracy(results)
    assert set(scores) == {"all", "kk", "ru"}
    for lang, (top1, top3) in scores.items():
        assert top1 >= TOP1 and top3 >= TOP3, (lang, scores)


def test_r_route_1_new_questions_with_the_sample_history_still_reach_their_subdivision(
    demo_map, history
):
    # The history knows other questions: it must not drown the map on new ones.
    clf = Classifier.train(history)
    results = [
        (a.lang, a.code, [s.code for s in suggest(a.text, competence=demo_map, classifier=clf)])
        for a in appeals(seed=2, forms=1)
    ]
    for lang, (top1, top3) in accuracy(results).items():
        assert top1 >= TOP1 and top3 >= TOP3, lang


@pytest.mark.parametrize("noise", [n for n in NOISES if n != "clean"])
def test_r_route_1_spelling_does_not_change_the_suggestions(demo_map, noise):
    rnd = random.Random(noise)
    for appeal in appeals(seed=3, forms=1):
        spoilt = NOISES[noise](appeal.text, rnd)
        clean = suggest(appeal.text, competence=demo_map, classifier=None)
        assert suggest(spoilt, competence=demo_map, classifier=None) == clean, spoilt


# --- where: the district, kept apart from what -----------------------------------------------


@pytest.mark.parametrize("code", sorted(DISTRICTS))
def test_r_route_1_where_is_found_in_every_case_form(demo_map, code):
    for lang in ("kk", "ru"):
        for place in district_forms(code, lang):
            where = demo_map.district(f"{place}: {SUBJECTS['ENERGY'][lang][0]}")
            assert where is not None and where.code == code, place


def test_r_route_1_a_named_district_does_not_change_what(demo_map):
    rnd = random.Random(4)
    for appeal in appeals(seed=4, forms=1):
        code = rnd.choice(sorted(DISTRICTS))
        text = sentence_with_district(appeal.subject, code, appeal.lang, rnd)
        found = route(text, competence=demo_map, classifier=None)
        assert found.where is not None and found.where.code == code, text
        assert not {s.code for s in found.what} & set(DISTRICTS), text
        # What is what it was without the district's name.
        plain = route(appeal.subject, competence=demo_map, classifier=None)
        assert [s.code for s in found.what] == [s.code for s in plain.what], text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r_route_1_a_local_question_goes_to_the_named_districts_akimat(demo_map, lang):
    rnd = random.Random(lang)
    for code in DISTRICTS:
        for question in LOCAL[lang]:
            text = sentence_with_district(question, code, lang, rnd)
            found = route(text, competence=demo_map, classifier=None)
            assert found.where.code == code and found.where.local, text
            assert found.suggestions[0].code == code, text  # preselected
            assert found.what[0].code == "COMFORT", text  # the city department, for the record
            # The same question without a district: no district is guessed.
            unnamed = route(question, competence=demo_map, classifier=None)
            assert unnamed.where is None
            assert not {s.code for s in unnamed.suggestions} & set(DISTRICTS)


def test_r_route_1_a_subject_question_in_a_named_district_stays_with_the_department(demo_map):
    found = route(
        "Медеу ауданында пәтерде ыстық су бір айдан бері жоқ",
        competence=demo_map,
        classifier=None,
    )
    assert found.where.code == "MEDEU" and not found.where.local
    assert found.suggestions[0].code == "ENERGY"
    assert "MEDEU" not in [s.code for s in found.suggestions]


def test_r_route_1_places_name_their_district_only_with_a_marker(demo_map):
    assert demo_map.district("В мкр. Самал-2 во дворе не горят фонари").code == "MEDEU"
    assert demo_map.district("Шаңырақ шағын ауданында аулада шұңқыр көп").code == "ALATAU"
    # «мамыр» is also the month of May.
    assert demo_map.district("Мамыр айында аулада асфальт төселмеді") is None


def test_r_route_1_words_of_a_name_are_never_a_subject(demo_map):
    # «Шаңырақ» begins like «шаң» (dust, ECO); «мкр» is no local question either.
    found = route("Шаңырақ шағын ауданы", competence=demo_map, classifier=None)
    assert found.where.code == "ALATAU" and not found.where.local
    assert found.what == []


def test_r_route_1_the_history_never_guesses_a_district():
    examples = [("Во дворе не горят фонари", "MEDEU"), ("Нет горячей воды", "ENERGY")] * 3
    clf = Classifier.train(examples)
    competence = CompetenceMap.from_profile_setting(
        {"MEDEU": {"names": ["медеуск район"], "ru": ["фонар"]}, "ENERGY": {"ru": ["горячая вода"]}}
    )
    unnamed = route("Во дворе не горят фонари", competence=competence, classifier=clf)
    assert "MEDEU" not in [s.code for s in unnamed.suggestions]
    named = route(
        "В Медеуском районе во дворе не горят фонари", competence=competence, classifier=clf
    )
    assert named.suggestions[0].code == "MEDEU"
    assert "MEDEU" not in [s.code for s in named.what]


# --- the matching rules ---------------------------------------------------------------------


def entry(code: str, **langs: list[str]) -> CompetenceMap:
    return CompetenceMap.from_profile_setting({code: langs})


@pytest.mark.parametrize(
    ("lang", "term", "text"),
    [
        ("kk", "мектеп", "Мектебіміздің шатыры ағып тұр"),  # п → б before a vowel
        ("kk", "кезек", "Кезегім жылжымайды"),  # к → г
        ("kk", "қар тазалау", "Қар тазаланбай жатыр"),  # the verbal noun's verb
        ("kk", "көп балалы", "Көпбалалы отбасымыз"),  # a compound written as one word
        ("ru", "каток", "Нет катка во дворе"),  # a fleeting vowel
        ("ru", "скамейка", "Во дворе нет скамеек"),  # genitive plural
        ("ru", "загрязнение", "Завод загрязняет воздух"),  # the verbal noun's verb
        ("ru", "поликлиника", "В пoликлинике очередь"),  # a Latin «o» inside the word
    ],
)
def test_r_route_1_terms_match_the_forms_people_write(lang, term, text):
    assert entry("X", **{lang: [term]}).subjects(text) != {}


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("асп", "Температура он бес градустан аспайды"),  # an abbreviation is not a prefix
        ("оси", "Осиновую рощу вырубили"),
        ("электр", "Электрондық өтініш"),  # a longer term would be written: «электр жел»
    ],
)
def test_short_terms_match_whole_words_only(term, text):
    found = entry("X", ru=[term]).subjects(text)
    if term == "электр":  # six letters: matched by prefix, the map must say more
        assert found
    else:
        assert found == {}
        assert entry("X", ru=[term]).subjects(f"Обратился в {term.upper()}")


def test_a_word_goes_to_the_longest_term_claiming_it():
    competence = CompetenceMap.from_profile_setting(
        {"CULTURE": {"kk": ["өнер"]}, "BUSINESS": {"kk": ["өнеркәсіп"]}}
    )
    assert set(competence.subjects("Өнеркәсіп аймағы салынбай жатыр")) == {"BUSINESS"}


def test_each_word_counts_once_and_shared_words_are_shared():
    competence = CompetenceMap.from_profile_setting(
        {"CULTURE": {"ru": ["историческ", "истори"]}, "URBAN": {"ru": ["фасад", "историческ"]}}
    )
    scores = competence.subjects("Фасад исторического здания")
    # CULTURE: one word, half of it (shared with URBAN); URBAN: «фасад» and half a word.
    assert scores["URBAN"][0] > scores["CULTURE"][0]
    assert scores["CULTURE"][1] == ["историческ"]


def test_a_context_term_counts_half_of_a_problem_term():
    competence = CompetenceMap.from_profile_setting(
        {"BUSINESS": {"ru": ["~завод"]}, "ECO": {"ru": ["дым"]}}
    )
    text = "Завод выбрасывает дым"
    scores = competence.subjects(text)
    assert scores["BUSINESS"][0] < scores["ECO"][0]
    assert scores["BUSINESS"][1] == ["завод"]  # reported as written, without the mark
    assert suggest(text, competence=competence, classifier=None)[0].code == "ECO"


# --- the history: trusted by how well it knows the question ------------------------------------


def test_r_route_1_familiarity_tells_known_questions_from_new_ones(history):
    by_code: dict[str, list[str]] = {}
    for text, code in history:
        by_code.setdefault(code, []).append(text)
    clf = Classifier.train(history)
    known = clf.read(history[0][0])
    assert known.familiarity == 1.0
    assert known.similar.most_common(1)[0][0] == history[0][1]
    new = [clf.read(a.text).familiarity for a in appeals(seed=5, forms=1)]
    assert sum(new) / len(new) < 0.2


def test_combine_scales_the_history_by_familiarity():
    competence = {"ENERGY": (1.0, ["жылу"])}
    history = {"EDU": 0.9, "ENERGY": 0.1}
    weights = Weights(competence=0.5, saturation=0.5, unfamiliar=0.1)
    known = combine(competence, history, weights, familiarity=1.0)
    new = combine(competence, history, weights, familiarity=0.0)
    assert new["EDU"][1] == pytest.approx(known["EDU"][1] * 0.1)
    assert new["ENERGY"][0] == known["ENERGY"][0]
    # Nothing in the map: the history speaks in full whatever its familiarity.
    assert combine({}, history, weights, familiarity=0.0)["EDU"][1] == pytest.approx(0.9)


# --- the benchmark holds out questions, not lines ---------------------------------------------


def test_the_benchmark_never_puts_one_question_on_both_sides(history):
    spec = importlib.util.spec_from_file_location("routing_accuracy", BENCHMARK)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    groups = bench.problems(history)
    # Formulas glued by a colon («Прошу принять меры: …») are stripped too.
    assert not any(g.startswith(("Прошу принять меры", "Шара қолдануыңызды")) for g in groups)
    assert max(Counter(groups).values()) == 3  # each question occurs in three wordings
    for train, test in bench.folds(groups, 5, seed=0):
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        assert len(train) + len(test) == len(history)


# --- the database-facing helpers ------------------------------------------------------------


def test_routing_for_text_and_district_for_text_use_the_office_map(app):
    found = routing_for_text("Медеу ауданындағы ауладағы шамдар жанбайды")
    assert found.where.code == "MEDEU" and found.where.local
    assert found.suggestions[0].code == "MEDEU"
    assert found.what[0].code == "COMFORT"
    assert district_for_text("Ауэзовский район, нет горячей воды").code == "AUEZOV"
    assert district_for_text("Нет горячей воды") is None
