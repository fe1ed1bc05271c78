"""The shared sample (151 cases exported from e-Otinish, ../shared/samples/cases/) with the
findings it is known to hold: each listed case has its required codes (and maybe the allowed
ones), and no other case has any finding, for the first half of 2026 judged as of 30 June."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE.parent / "exchange" / "data" / "history.jsonl"  # a copy of history.jsonl
EXPECTED = json.loads((HERE / "data" / "sample_expected.json").read_text(encoding="utf-8"))


def test_r_audit_1_the_sample_gives_exactly_its_known_findings(import_cases, checks):
    import_cases(SAMPLE.read_text(encoding="utf-8").splitlines())
    run, _ = checks("2026-01-01", "2026-06-30", as_of="2026-06-30")
    assert run.checked == 151
    got: dict[str, set[str]] = {}
    for f in run.findings:
        got.setdefault(f.reg_number, set()).add(f.check)
    for number, expected in EXPECTED.items():
        codes = got.pop(number, set())
        assert set(expected["require"]) <= codes, (number, codes)
        assert codes <= set(expected["require"]) | set(expected["allow"]), (number, codes)
    assert got == {}
