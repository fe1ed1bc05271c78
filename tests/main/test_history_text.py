"""History as sentences (issue 14): the generic sentence builder, per-domain templates, rule ids
in words (the law's article, the id in a tooltip), the item page's history."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from docflow.core import history_text as ht
from docflow.core.rules_text import legal_reference, rule_words, rule_words_text
from docflow.main.history import load_texts
from tests.fixtures import page


def entry(action, summary=None, object_type=None, object_id=None, outcome="ok"):
    return SimpleNamespace(
        action=action,
        summary=summary,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        actor_id=None,
        actor_name="system",
    )


def test_unknown_action_reads_as_a_sentence_never_json(app):
    with app.test_request_context(), force_locale("en"):
        s = ht.describe(
            entry("frobnicate_widget", {"reason": "тест", "when": "2026-12-02", "n": {"x": 1}})
        )
    assert s.text == "The system: frobnicate widget"
    assert "reason: тест" in s.details and "2 Dec 2026" in s.details
    assert "{" not in s.text + s.details and "\\u" not in s.details


def test_registered_action_fills_its_template_from_the_summary(app):
    load_texts()
    ht.register_action("test_done", "%(actor)s did %(what)s to %(object)s", group="test")
    with app.test_request_context(), force_locale("en"):
        s = ht.describe(entry("test_done", {"what": "a thing"}, "setting", "terms"))
        missing = ht.describe(entry("test_done", {}, "setting", "terms"))
    assert s.text == "The system did a thing to setting “terms”"
    assert missing.text == "The system did — to setting “terms”"  # a missing value never raises


def test_failed_outcome_is_said(app):
    load_texts()
    with app.test_request_context(), force_locale("en"):
        s = ht.describe(entry("login", {"username": "x"}, "user_account", None, outcome="failed"))
    assert s.text == "The system signed in (failed)"


def test_group_filter_names_the_domain_actions(app):
    load_texts()
    keys = dict(ht.groups())
    assert {"registration", "routing", "letters", "reception", "accounts"} <= set(keys)
    from docflow.core.audit import AuditEntry

    sql = str(ht.group_condition("registration", AuditEntry).compile())
    assert "action" in sql and "object_type" in sql


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "APPC art. 63(2)"), ("ru", "ст. 63(2) АППК"), ("kk", "ӘРПК 63(2)-бабы")],
)
def test_rule_id_becomes_the_law_article_in_the_language(app, lang, expected):
    with app.test_request_context(), force_locale(lang):
        assert legal_reference("R-REG-5") == expected
        html = str(rule_words("Missing details (R-REG-5)."))
        assert html == f'Missing details (<abbr title="R-REG-5">{expected}</abbr>).'
        assert rule_words_text("R-REG-5: address") == f"{expected}: address"


def test_rule_words_escapes_the_rest_and_keeps_unknown_ids(app):
    with app.test_request_context():
        assert str(rule_words("<b> R-NOPE-1")) == "&lt;b&gt; R-NOPE-1"


def test_r_reg_5_comment_names_the_missing_details_in_words(app):
    load_texts()
    with app.test_request_context(), force_locale("en"):
        s = ht.transition_sentence(
            "incoming", "request_correction", actor="Clerk", comment="R-REG-5: address, signed"
        )
    assert s.text == "Clerk asked the applicant to supply missing details"
    assert s.details == (
        "APPC art. 63(2): postal address, signature of the applicant or representative"
    )


def test_item_page_history_is_sentences(web, routed):
    item = routed("in_work")
    from docflow.extensions import db

    db.session.commit()
    html = page(web("clerk").get(f"/registry/{item.public_id}"))
    history = html.split("<h2>History</h2>", 1)[1]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history))
    assert "registered the item" in text
    assert "sent the item to the subdivision" in text
    assert "assigned the executor" in text
    assert "R-REG-5" not in text
