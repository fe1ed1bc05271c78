"""Translation catalogs (kk, ru, en) for docflow/translations. Run with the venv Python:

    .venv/bin/python scripts/i18n.py update   # extract -> messages.pot, merge into kk/ru/en, compile
    .venv/bin/python scripts/i18n.py check    # list untranslated/fuzzy/broken entries, exit 1 if any

After ``update``, translate the new entries in kk and ru (empty or ``#, fuzzy``) and run it
again to compile. English is the source language: ``update`` copies new msgids into the en
catalog, so a later English rewording is a catalog edit, not a code change.
``check`` extracts from the current sources into a temporary .pot (it never writes the
catalogs) and is what ``tests/main/test_i18n.py`` asserts.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "docflow" / "translations"
POT = TRANSLATIONS / "messages.pot"
LANGUAGES = ("kk", "ru", "en")
SOURCE_LANGUAGE = "en"
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")  # + Babel's defaults
# %(name)s, %d, %%, and a stray % (which breaks the %-formatting Flask-Babel applies).
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]?")


def pybabel(*args: str) -> None:
    # From the repo root over ".": babel.cfg patterns and the .pot locations are root-relative.
    with contextlib.chdir(ROOT):
        status = CommandLineInterface().run(["pybabel", "--quiet", *args])
    if status:
        raise SystemExit(f"pybabel {args[0]} failed ({status})")


def extract(output: Path) -> None:
    keywords = [arg for kw in KEYWORDS for arg in ("-k", kw)]
    pybabel("extract", "-F", "babel.cfg", *keywords, "-c", "TRANSLATORS:",
            "--project", "docflow", "-o", str(output), ".")  # fmt: skip


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def update() -> None:
    extract(POT)
    for lang in LANGUAGES:  # one locale per call: -l does not repeat
        pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang, "--init-missing")
    fill_source_language()
    pybabel("compile", "-d", str(TRANSLATIONS))


def fill_source_language() -> None:
    """en msgstr = msgid for new (empty, not fuzzy) entries."""
    path = po_path(SOURCE_LANGUAGE)
    catalog = read_catalog(path)
    changed = False
    for msg in catalog:
        if not msg.id or msg.fuzzy:
            continue
        if isinstance(msg.id, tuple):
            if not any(msg.string):
                msg.string = (msg.id[0],) + (msg.id[1],) * (catalog.num_plurals - 1)
                changed = True
        elif not msg.string:
            msg.string, changed = msg.id, True
    if changed:
        with path.open("wb") as fh:
            write_po(fh, catalog, width=76)


def check() -> list[str]:
    """Every problem, one line each: missing, empty, fuzzy, or placeholders that differ."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract(pot)
        template = read_catalog(pot)
    problems = []
    for lang in LANGUAGES:
        path = po_path(lang)
        if not path.exists():
            problems.append(f"{lang}: no catalog at {path.relative_to(ROOT)}")
            continue
        catalog = read_catalog(path)
        if catalog.fuzzy:
            problems.append(f"{lang}: the catalog header is fuzzy (pybabel compile skips it)")
        for msg in template:
            if not msg.id:
                continue
            entry = catalog.get(msg.id, msg.context)
            ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
            strings = () if entry is None else entry.string
            strings = strings if isinstance(strings, tuple) else (strings,)
            if entry is None:
                problems.append(f"{lang}: missing {ids[0]!r}")
            elif entry.fuzzy:
                problems.append(f"{lang}: fuzzy {ids[0]!r}")
            elif not all(strings):
                problems.append(f"{lang}: untranslated {ids[0]!r}")
            elif any(placeholders(s) not in [placeholders(i) for i in ids] for s in strings):
                problems.append(f"{lang}: placeholders differ in {ids[0]!r}: {strings!r}")
    return problems


def main(argv: list[str]) -> int:
    if argv == ["update"]:
        update()
        print(f"updated and compiled {', '.join(LANGUAGES)}; now run: {Path(__file__).name} check")
        return 0
    if argv == ["check"]:
        problems = check()
        for line in problems:
            print(line)
        print(f"{len(problems)} problem(s)" if problems else "all catalogs complete")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
