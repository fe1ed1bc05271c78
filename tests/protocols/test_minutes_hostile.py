"""Bad input for the minutes parser: each hostile DOCX is refused with its own code, quickly and
with bounded memory, and never reaches python-docx when it is unsafe (R-PROT-3)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from docflow.core.calendar import WorkingCalendar
from docflow.org.profile import DEMO_PROFILE, read_profile
from docflow.protocols.cli import protocols_cli
from docflow.protocols.minutes import MinutesError, Resolver, check_package, parse_minutes
from tests.protocols.minutes_hostile import HOSTILE

MB = 1024 * 1024


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_profile(read_profile(DEMO_PROFILE))


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_R_PROT_3_hostile_docx_is_refused_fast(resolver, name):
    make, code = HOSTILE[name]
    blob = make()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(MinutesError) as err:
            parse_minutes(blob, resolver, WorkingCalendar())
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.code == code, err.value.message
    assert err.value.message and "\n" not in err.value.message
    assert elapsed < 2.0
    assert peak < 32 * MB


@pytest.mark.parametrize("name", ["bomb_lying_size", "external_entity", "truncated_zip"])
def test_R_PROT_3_cli_hostile_docx_one_error_line(runner, tmp_path, name):
    make, _code = HOSTILE[name]
    path = tmp_path / f"{name}.docx"
    path.write_bytes(make())
    result = runner.invoke(protocols_cli, ["parse", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_R_PROT_3_unsafe_file_never_reaches_python_docx(monkeypatch, resolver):
    import docx

    def boom(*_a, **_k):
        raise AssertionError("python-docx must not open an unsafe file")

    monkeypatch.setattr(docx, "Document", boom)
    for name in ("bomb_declared_1gb", "bomb_ratio", "bomb_lying_size", "external_entity"):
        with pytest.raises(MinutesError):
            parse_minutes(HOSTILE[name][0](), resolver, WorkingCalendar())


def test_R_PROT_3_check_package_accepts_a_real_docx():
    from tests.protocols.minutes_builders import decisions_ru

    assert check_package(decisions_ru()) == "word/document.xml"


def test_R_PROT_3_file_too_large_is_refused(tmp_path, resolver):
    from docflow.protocols import minutes

    path = tmp_path / "big.docx"
    with path.open("wb") as fh:
        fh.truncate(minutes.MAX_FILE_BYTES + 1)
    with pytest.raises(MinutesError) as err:
        parse_minutes(path, resolver, WorkingCalendar())
    assert err.value.code == "unsafe"


def test_R_PROT_3_one_zip_check_for_minutes_and_extraction():
    """The minutes parser and the extraction worker refuse ZIP bombs with the same function,
    ``docflow.core.ziputil``, which the isolated worker loads by path (no ``docflow`` there)."""
    import io
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    from docflow.core import ziputil
    from docflow.registry.extractor import common, office

    blob = HOSTILE["bomb_ratio"][0]()
    infos = zipfile.ZipFile(io.BytesIO(blob)).infolist()
    with pytest.raises(ziputil.ZipRefused) as shared:
        ziputil.check_entries(infos, ziputil.ZipLimits())
    with pytest.raises(MinutesError) as minutes:
        check_package(blob)
    with pytest.raises(common.Refused) as extraction:
        office.check_zip(infos, common.Limits())
    assert shared.value.message == minutes.value.message == extraction.value.detail
    assert (minutes.value.code, extraction.value.code) == ("unsafe", "unsafe")

    worker_dir = Path(office.__file__).resolve().parent.parent  # holds the worker package
    probe = (
        f"import sys; sys.path.insert(0, {str(worker_dir)!r}); import extractor.office as o;"
        " print(o.load_ziputil().__file__, 'docflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert Path(out[0]).resolve() == Path(ziputil.__file__).resolve() and out[1] == "False"
