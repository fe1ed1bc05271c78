"""A generated half-year of imported cases with planted violations: the run finds exactly them.

The generator (tests/inspection/case_generator.py) writes case-exchange JSON Lines: clean cases
that come near every rule without breaking it, and cases that break one rule each; the lines go
in through docflow.exchange's importer. The seed here is held out: it was not used to develop
the checks or the generator.
"""

from __future__ import annotations

from tests.inspection.case_generator import AS_OF, PLANTS, generate

HELD_OUT_SEED = 20260917


def test_r_audit_1_generated_half_year_precision_and_recall_are_1(import_cases, checks):
    lines, planted = generate(HELD_OUT_SEED, cases=400)
    report = import_cases(lines)
    assert report.created == len(lines) and not report.unresolved
    run, found = checks("2026-01-01", "2026-06-30", as_of=AS_OF.isoformat())
    assert run.checked == len(lines)
    got = set(found)
    true_positive = got & planted
    precision = len(true_positive) / len(got)
    recall = len(true_positive) / len(planted)
    assert (precision, recall) == (1.0, 1.0), (sorted(got - planted), sorted(planted - got))
    assert {code for _, code in planted} == set(PLANTS) | {"OVERDUE_OPEN"}
