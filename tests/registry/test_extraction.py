"""Text extraction: samples, DOCX, previews, the CLI helper, and hostile files."""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from docflow.registry import extraction, extraction_sandbox, extraction_zygote
from docflow.registry.extraction import (
    ERROR_MESSAGES,
    Detection,
    Limits,
    detect,
    detect_type,
    extract,
    extract_cli_text,
    make_preview,
)
from docflow.registry.extractor.common import Refused
from docflow.registry.extractor.office import docx_text
from tests.registry.hostile import DATA, HOSTILE, document_xml, docx_xxe, password_pdf

MAX_SECONDS = 10  # per hostile file


def expected(name: str) -> dict:
    return json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))


def found_words(text: str, words: list[str]) -> list[str]:
    low = text.lower()
    return [w for w in words if w.lower() in low]


def assert_png_preview(data: bytes | None) -> None:
    assert data is not None
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert max(image.size) <= 800
    assert max(image.size) >= 700  # a page, not a stamp


@pytest.fixture(params=["zygote", "process"])
def path_mode(request, monkeypatch):
    """Run the test through the zygote (never falling back), then with one process per file."""
    if request.param == "process":
        monkeypatch.setenv("DOCFLOW_EXTRACTION_ZYGOTE", "0")
        jobs = zygote_jobs()
        yield request.param
        assert zygote_jobs() == jobs  # the zygote was not used
    else:
        monkeypatch.delenv("DOCFLOW_EXTRACTION_ZYGOTE", raising=False)

        def no_fallback(job, wall_seconds):
            pytest.fail("the zygote path fell back to a process per file")

        monkeypatch.setattr(extraction_sandbox, "run_in_process", no_fallback)
        yield request.param


def zygote_jobs() -> int:
    """Jobs the current zygote has run (-1: none is running)."""
    zygote = extraction_zygote._zygote
    return zygote.jobs if zygote is not None and zygote.alive() else -1


@pytest.fixture
def fresh_zygote():
    """A zygote started for this test (and stopped after it, with any monkeypatching undone)."""
    extraction_zygote.shutdown()
    yield
    extraction_zygote.shutdown()


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("hostile")
    for generate, _code in HOSTILE.values():
        generate(directory)
    return directory


def two_page_pdf(path: Path) -> Path:
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(DATA / "letter-kk-text.pdf")
    doc = pdfium.PdfDocument.new()
    doc.import_pages(source)
    doc.import_pages(source)
    doc.save(path)
    return path


# --- detection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"%PDF-1.7\n...", "x.bin", "pdf"),
        (b"junk before the header %PDF-1.4\n", "x.pdf", "pdf"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "scan.jpg", "png"),  # the content wins
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "photo", "jpeg"),
        (b"II*\0\x08\0\0\0", "fax.tif", "tiff"),
        (b"MM\0*\0\0\0\x08", "fax.tiff", "tiff"),
        (b"PK\x03\x04....[Content_Types].xml....word/document.xml", "a.zip", "docx"),
        (b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml", "a.xlsx", "other"),
        (b"<!DOCTYPE html><html>", "letter.pdf", "other"),
        (b"GIF89a", "a.gif", "other"),
        (b"", "empty.pdf", "other"),
    ],
)
def test_detect_type_by_magic_bytes(head, name, kind):
    assert detect_type(head, name) == kind


def test_detect_explains_a_file_that_is_not_what_its_name_says():
    assert detect(b"<html><body>hi</body></html>", "Letter.PDF") == Detection(
        "other", "pdf", "The file is not a PDF although its name says so."
    )
    assert detect(b"<html></html>", "page.html").reason is None
    assert detect(b"PK\x03\x04 small zip", "report.docx").kind == "docx"  # the worker checks


def test_every_error_code_has_a_message():
    codes = {code for _gen, code in HOSTILE.values()}
    codes |= {"timeout", "memory", "ocr_failed", "internal", "not_supported"}
    assert codes <= set(ERROR_MESSAGES)
    assert all(msg.endswith(".") and "\n" not in msg for msg in ERROR_MESSAGES.values())


# --- samples ------------------------------------------------------------------------------------


def test_born_digital_pdf_yields_all_words_without_ocr(path_mode):
    result = extract(DATA / "letter-kk-text.pdf")
    exp = expected("letter-kk-text.pdf")
    assert result.status == "done", result.error
    assert result.kind == "pdf"
    assert result.page_count == exp["pages"] == len(result.pages)
    assert result.ocr_pages == 0
    assert found_words(result.text, exp["words"]) == exp["words"]
    assert result.error_code is None and result.error is None
    preview = make_preview(DATA / "letter-kk-text.pdf")  # a step of its own, after the text
    assert (preview.status, preview.kind, preview.error_code) == ("done", "pdf", None)
    assert_png_preview(preview.png)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["scan-ru-image.pdf", "scan-kk-photo.png"])
def test_ocr_sample_yields_most_words(name):
    result = extract(DATA / name)
    exp = expected(name)
    assert result.status == "done", result.error
    assert result.page_count == exp["pages"]
    assert result.ocr_pages == exp["pages"]
    words = found_words(result.text, exp["words"])
    assert len(words) >= 0.8 * len(exp["words"]), (words, result.text)
    assert_png_preview(make_preview(DATA / name).png)


def test_pages_are_separated_by_form_feeds_and_limited(tmp_path):
    path = two_page_pdf(tmp_path / "two.pdf")
    result = extract(path)
    assert result.status == "done"
    assert result.page_count == 2 and len(result.pages) == 2
    assert result.text.count("\f") == 1
    assert all("\f" not in page for page in result.pages)

    refused = extract(path, limits=Limits(max_pages=1))
    assert (refused.status, refused.error_code) == ("failed", "too_large")
    assert refused.error == "The PDF has 2 pages; the limit is 1."


def test_multipage_tiff_preview_and_page_count(tmp_path):
    frames = []
    for n in range(2):
        frame = Image.new("L", (1240, 1754), 255)
        ImageDraw.Draw(frame).rectangle((100 + 50 * n, 100, 600, 300), outline=0, width=5)
        frames.append(frame)
    path = tmp_path / "scan.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_deflate")
    result = extract(path)
    assert result.status == "done", result.error
    assert (result.kind, result.page_count, result.ocr_pages) == ("tiff", 2, 2)
    assert len(result.pages) == 2
    assert_png_preview(make_preview(path).png)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", "Өтініш мәтіні".encode()),
        ("scan.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("table.xlsx", b"PK\x03\x04 [Content_Types].xml xl/workbook.xml"),
    ],
)
def test_other_types_are_kept_without_extraction(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    result = extract(path)
    assert (result.status, result.kind, result.error_code) == ("skipped", "other", "not_supported")
    assert result.pages == []
    preview = make_preview(path)
    assert (preview.status, preview.png) == ("skipped", None)


def test_limits_may_be_a_mapping():
    result = extract(DATA / "letter-kk-text.pdf", limits={"max_bytes": 1000, "unknown": 1})
    assert (result.status, result.error_code) == ("failed", "too_large")
    assert "the limit is" in result.error


def test_original_filename_explains_a_renamed_file(tmp_path):
    path = tmp_path / "0123abcd"  # stored files have no extension
    path.write_text("<html><body>not a scan</body></html>")
    assert extract(path).status == "skipped"
    result = extract(path, filename="Жалоба.pdf")
    assert (result.status, result.error_code) == ("failed", "not_supported")
    assert result.error == "The file is not a PDF although its name says so."


# --- DOCX ---------------------------------------------------------------------------------------


def test_docx_with_kazakh_russian_and_a_table(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Алматы қаласының әкіміне")
    document.add_paragraph("Жалоба на отсутствие горячей воды: прошу принять меры.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Аты-жөні"
    table.cell(0, 1).text = "Жұмабаева Айнұр"
    table.cell(1, 0).text = "Адрес"
    table.cell(1, 1).text = "ул. Толе би, 123"
    document.add_paragraph("Құрметпен, өтініш беруші")
    path = tmp_path / "appeal.docx"
    document.save(path)

    result = extract(path)
    assert result.status == "done", result.error
    assert (result.kind, result.page_count, result.ocr_pages) == ("docx", 1, 0)
    lines = result.text.split("\n")
    assert lines[0] == "Алматы қаласының әкіміне"
    assert lines[1] == "Жалоба на отсутствие горячей воды: прошу принять меры."
    assert "Аты-жөні\tЖұмабаева Айнұр" in lines
    assert "Адрес\tул. Толе би, 123" in lines
    assert lines[-1] == "Құрметпен, өтініш беруші"
    preview = make_preview(path)  # DOCX has no preview
    assert (preview.status, preview.kind, preview.png) == ("skipped", "docx", None)


def test_docx_external_entity_is_refused_and_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-4242")
    for target in ("file:///etc/passwd", secret.as_uri()):
        directory = tmp_path / str(abs(hash(target)))
        directory.mkdir()
        result = extract(docx_xxe(directory, target))
        assert (result.status, result.error_code) == ("failed", "unsafe")
        everything = repr(result)
        assert "root:" not in everything and "SECRET-MARKER" not in everything


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE w:document [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE w:document [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
        b'<!DOCTYPE w:document SYSTEM "file:///etc/passwd">',
        b'<!DOCTYPE w:document [<!ENTITY e "internal">]>',
    ],
)
def test_docx_parser_refuses_any_dtd(doctype):
    with pytest.raises(Refused) as refused:
        docx_text(io.BytesIO(document_xml("text &e;", doctype + b"\n")), 1000)
    assert refused.value.code == "unsafe"


# --- hostile files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_fails_cleanly_and_fast(name, tmp_path, path_mode):
    generate, code = HOSTILE[name]
    path = generate(tmp_path)
    started = time.monotonic()
    result = extract(path)
    elapsed = time.monotonic() - started
    assert (result.status, result.error_code) == ("failed", code), result.error
    assert result.error and "\n" not in result.error
    assert elapsed < MAX_SECONDS
    started = time.monotonic()
    preview = make_preview(path)  # the preview step is as safe as the text
    assert time.monotonic() - started < MAX_SECONDS
    assert preview.png is None
    if preview.kind == "docx":  # no preview is made of a DOCX: it is never opened for one
        assert (preview.status, preview.error_code) == ("skipped", "not_supported")
    else:
        assert (preview.status, preview.error_code) == ("failed", code), preview.error


def current_rss_kb() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_parent_memory_does_not_grow(hostile_dir):
    files = sorted(p for p in hostile_dir.iterdir() if p.is_file())
    extract(files[0])  # warm up (imports, caches)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_before = current_rss_kb()
    for path in files:
        assert extract(path).status == "failed"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50_000
    assert current_rss_kb() - rss_before < 50_000


def test_memory_limit_kills_the_worker_not_the_caller(hostile_dir):
    # Without the stream check PDFium inflates the bomb itself and dies on RLIMIT_AS.
    limits = Limits(max_stream_bytes=2**40, max_memory_mb=400)
    result = extract(hostile_dir / "deflate-bomb.pdf", limits=limits)
    assert (result.status, result.error_code) == ("failed", "memory")


def test_worker_stops_itself_before_the_wall_clock_limit():
    result = extract(DATA / "scan-ru-image.pdf", limits=Limits(wall_seconds=1))
    assert (result.status, result.error_code) == ("failed", "timeout")


def assert_process_gone(pid: int) -> None:
    for _ in range(50):  # gone, or a zombie waiting for init
        try:
            if "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text():
                return
        except (FileNotFoundError, ProcessLookupError):  # gone (maybe while being read)
            return
        time.sleep(0.1)
    pytest.fail(f"process {pid} survived")


def test_hung_worker_is_killed_with_its_children(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCFLOW_EXTRACTION_ZYGOTE", "0")  # _worker_command is the per-file path
    pidfile = tmp_path / "child.pid"
    hang = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "open(sys.argv[1], 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    monkeypatch.setattr(
        extraction_sandbox, "worker_command", lambda: (sys.executable, "-c", hang, str(pidfile))
    )
    started = time.monotonic()
    result = extract(DATA / "letter-kk-text.pdf", limits=Limits(wall_seconds=1))
    assert time.monotonic() - started < 4
    assert (result.status, result.error_code) == ("failed", "timeout")
    assert result.error == "Processing took longer than 1 s and was stopped."
    assert_process_gone(int(pidfile.read_text()))


@pytest.mark.parametrize(
    ("returncode", "stderr", "code"),
    [
        (-signal.SIGXCPU, b"", "timeout"),
        (-signal.SIGABRT, b"", "memory"),
        (-signal.SIGKILL, b"", "memory"),
        (1, b"Traceback...\nMemoryError\n", "memory"),
        (1, b"Traceback...\nImportError: no pypdfium2\n", "internal"),
    ],
)
def test_worker_deaths_are_mapped_to_codes(returncode, stderr, code):
    result, wrote = extraction._parse_worker(returncode, b"", stderr, Detection("pdf", None, None))
    assert (result.status, result.error_code, wrote) == ("failed", code, False)
    assert result.error


def test_encrypted_pdf(tmp_path):
    result = extract(password_pdf(tmp_path))
    assert result.error == "The PDF is password-protected."


def test_working_directories_go_to_the_configured_scratch_dir(monkeypatch, tmp_path):
    import tempfile

    made = []
    real = tempfile.TemporaryDirectory
    monkeypatch.setattr(tempfile, "TemporaryDirectory", lambda **kw: made.append(kw) or real(**kw))
    monkeypatch.setenv("DOCFLOW_EXTRACTION_TMPDIR", str(tmp_path))
    extraction._scratch_dir.cache_clear()
    try:
        result = extract(DATA / "letter-kk-text.pdf")
    finally:
        extraction._scratch_dir.cache_clear()
    assert result.status == "done" and result.pages
    assert [kw["dir"] for kw in made] == [str(tmp_path)]
    assert list(tmp_path.iterdir()) == []  # removed after the file


def test_pdf_preview_is_the_page_as_pdfium_draws_it(monkeypatch):
    import zlib

    import pypdfium2 as pdfium

    from docflow.registry.extractor import imaging
    from docflow.registry.extractor.pdf import render_preview

    doc = pdfium.PdfDocument(DATA / "letter-kk-text.pdf")
    page = doc[0]
    drawn = page.render(scale=799.5 / max(page.get_size()), rev_byteorder=True).to_pil()
    for deflate in (imaging.deflate, zlib):  # ISA-L, and the zlib fallback
        monkeypatch.setattr(imaging, "deflate", deflate)
        png = imaging.png_from_rows(*render_preview(page))
        image = Image.open(io.BytesIO(png))
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", drawn.size)
        assert image.tobytes() == drawn.tobytes()
    page.close()
    doc.close()


# --- the CLI helper -----------------------------------------------------------------------------


def test_cli_prints_text_or_one_line_error(tmp_path, hostile_dir):
    code, text = extract_cli_text(two_page_pdf(tmp_path / "two.pdf"))
    assert code == 0
    assert text.count("\f") == 1 and "Жұмабаева" in text

    code, message = extract_cli_text(hostile_dir / "letter.pdf")  # HTML named .pdf
    assert (code, message) == (1, "error: The file is not a PDF although its name says so.")

    code, message = extract_cli_text(hostile_dir / "deflate-bomb.pdf")
    assert code == 1 and message.startswith("error: ") and "\n" not in message

    code, message = extract_cli_text(tmp_path / "missing.pdf")
    assert code == 2 and message.startswith("error: no such file")

    skipped = tmp_path / "notes.txt"
    shutil.copy(DATA / "letter-kk-text.pdf.expected.json", skipped)
    code, message = extract_cli_text(skipped)
    assert code == 1 and message == "error: " + ERROR_MESSAGES["not_supported"]


# --- the zygote (a pre-forked worker) ------------------------------------------------------------


def patched_zygote(monkeypatch, tmp_path: Path, max_jobs: int = 32) -> Path:
    """Start zygotes whose children hang on ``*hang.pdf`` (after starting a ``sleep`` and writing
    its pid to the returned file), pause 2 s on ``*slow.pdf``, spin the CPU on ``*spin.pdf`` and
    linger 3 s after the result of ``*linger.pdf``; other files are extracted."""
    pidfile = tmp_path / "child.pid"
    code = (
        "import json, os, resource, subprocess, sys, time\n"
        f"sys.path.insert(0, {str(extraction_sandbox.WORKER_DIR)!r})\n"
        "import extractor.worker, extractor.zygote\n"
        "real = extractor.worker.run\n"
        "def link(fd):\n"
        "    try:\n"
        "        return os.readlink('/proc/self/fd/' + fd)\n"
        "    except OSError:\n"
        "        return ''\n"
        "def sends(fd):  # whether the socket can be written to\n"
        "    try:\n"
        "        return os.write(fd, b'{}') > 0\n"
        "    except OSError:\n"
        "        return False\n"
        "def run(path, limits, **kw):\n"
        "    while path.endswith('spin.pdf'):\n"
        "        pass\n"
        "    if path.endswith(('hang.pdf', 'slow.pdf')):\n"
        "        info = {\n"
        "            'rlimits': [resource.getrlimit(r) for r in (resource.RLIMIT_AS,\n"
        "                resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE,\n"
        "                resource.RLIMIT_CORE)],\n"
        "            'group_leader': os.getpgid(0) == os.getpid() == os.getsid(0),\n"
        "            'fds': sorted(os.listdir('/proc/self/fd')),\n"
        "            'sockets': [sends(int(fd)) for fd in os.listdir('/proc/self/fd')\n"
        "                if link(fd).startswith('socket:')],\n"
        "            'cwd': os.getcwd(),\n"
        "            'env': {k: os.environ.get(k) for k in ('HOME', 'TMPDIR', 'OMP_THREAD_LIMIT')},\n"
        "        }\n"
        f"        open({str(tmp_path / 'child.json')!r}, 'w').write(json.dumps(info))\n"
        "        child = subprocess.Popen(['sleep', '60'])\n"
        f"        open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
        "        time.sleep(60 if path.endswith('hang.pdf') else 2)\n"
        "        child.kill()\n"
        "    return real(path, limits, **kw)\n"
        "extractor.worker.run = run\n"
        "real_job = extractor.zygote._run_job\n"
        "def run_job(job, fds, channel, served):\n"
        "    linger = job['path'].endswith('linger.pdf')\n"
        "    if linger:  # it takes no other file: its last (the channel closed before the pipes)\n"
        "        served = extractor.zygote.MAX_JOBS_PER_CHILD\n"
        "    again = real_job(job, fds, channel, served)\n"
        "    if linger:\n"
        "        time.sleep(3)  # a slow exit, after the whole result\n"
        "    return again\n"
        "extractor.zygote._run_job = run_job\n"
        f"extractor.zygote.MAX_JOBS_PER_CHILD = {max_jobs}\n"
        "sys.exit(extractor.zygote.main(int(sys.argv[1])))\n"
    )
    monkeypatch.setattr(
        extraction_sandbox, "zygote_command", lambda fd: (sys.executable, "-I", "-c", code, str(fd))
    )
    return pidfile


def test_many_files_reuse_one_zygote(fresh_zygote, hostile_dir, tmp_path):
    files = [DATA / "letter-kk-text.pdf", two_page_pdf(tmp_path / "two.pdf")]
    files += [hostile_dir / name for name in ("truncated.pdf", "huge-20000.png", "xxe.docx")]
    assert extract(files[0]).status == "done"
    pid = extraction_zygote.running_pid()
    assert pid is not None and pid != os.getpid()
    jobs = zygote_jobs()
    for _ in range(3):
        for path in files:
            assert extract(path).status in ("done", "failed")
            assert extraction_zygote.running_pid() == pid
    assert zygote_jobs() == jobs + 3 * len(files)


def test_zygote_survives_a_child_killed_by_the_memory_limit(fresh_zygote, hostile_dir):
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    pid = extraction_zygote.running_pid()
    limits = Limits(max_stream_bytes=2**40, max_memory_mb=400)
    result = extract(hostile_dir / "deflate-bomb.pdf", limits=limits)
    assert (result.status, result.error_code) == ("failed", "memory")
    assert extraction_zygote.running_pid() == pid
    result = extract(DATA / "letter-kk-text.pdf")
    assert result.status == "done" and result.pages
    assert extraction_zygote.running_pid() == pid


def test_hung_child_of_the_zygote_is_killed_with_its_children(fresh_zygote, monkeypatch, tmp_path):
    pidfile = patched_zygote(monkeypatch, tmp_path)
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    pid = extraction_zygote.running_pid()
    hang = shutil.copy(DATA / "letter-kk-text.pdf", tmp_path / "hang.pdf")
    started = time.monotonic()
    result = extract(hang, limits=Limits(wall_seconds=1))
    assert time.monotonic() - started < 4
    assert (result.status, result.error_code) == ("failed", "timeout")
    assert result.error == "Processing took longer than 1 s and was stopped."
    assert_process_gone(int(pidfile.read_text()))
    assert extraction_zygote.running_pid() == pid  # the zygote is alive and still serves files
    child = json.loads((tmp_path / "child.json").read_text())  # the sandbox, as for a process
    assert child["rlimits"] == [
        [value, value + 5] if res == resource.RLIMIT_CPU else [value, value]
        for res, value in extraction_sandbox.rlimits(Limits(wall_seconds=1))
    ]
    assert child["group_leader"]
    # 0-2, the listing itself and one socket: the channel to the parent, on which the child can
    # receive its next file but not send (no socket to the zygote, none to write to)
    assert len(child["fds"]) == 5 and child["sockets"] == [False]
    assert child["cwd"] == child["env"]["HOME"] == child["env"]["TMPDIR"]
    assert Path(child["cwd"]).name.startswith("docflow-extract-")
    assert child["env"]["OMP_THREAD_LIMIT"] == "1"
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    assert extraction_zygote.running_pid() == pid


def test_cpu_limit_signal_is_reported_by_the_zygote(fresh_zygote, monkeypatch, tmp_path):
    patched_zygote(monkeypatch, tmp_path)
    spin = shutil.copy(DATA / "letter-kk-text.pdf", tmp_path / "spin.pdf")
    result = extract(spin, limits=Limits(cpu_seconds=1, wall_seconds=20))
    assert (result.status, result.error_code) == ("failed", "timeout")
    assert result.error == "Processing used more CPU time than allowed and was stopped."
    pid = extraction_zygote.running_pid()
    assert pid is not None
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    assert extraction_zygote.running_pid() == pid


def test_result_does_not_wait_for_the_childs_exit(fresh_zygote, monkeypatch, tmp_path):
    patched_zygote(monkeypatch, tmp_path)
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    pid = extraction_zygote.running_pid()
    linger = shutil.copy(DATA / "letter-kk-text.pdf", tmp_path / "linger.pdf")
    started = time.monotonic()
    result = extract(linger)
    assert time.monotonic() - started < 2.5  # the child closed its pipes after a whole result
    assert result.status == "done" and result.pages
    assert found_words(result.text, expected("letter-kk-text.pdf")["words"])
    # the zygote reports the lingering child's exit before the next file's pid: skipped
    second = extract(two_page_pdf(tmp_path / "two.pdf"))
    assert (second.status, second.page_count, second.error_code) == ("done", 2, None)
    assert extraction_zygote.running_pid() == pid


def test_zygote_killed_between_files_is_restarted(fresh_zygote):
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    pid = extraction_zygote.running_pid()
    os.kill(pid, signal.SIGKILL)
    assert_process_gone(pid)  # dead before the next file (the warm child would serve it else)
    result = extract(DATA / "letter-kk-text.pdf")
    assert result.status == "done" and result.pages
    assert extraction_zygote.running_pid() not in (None, pid)


def test_file_goes_to_the_spare_child_directly_and_a_dead_spare_is_replaced(fresh_zygote):
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    zygote = extraction_zygote._zygote
    pid = zygote.pid
    for _ in range(50):  # the next file's child, announced by the zygote
        if zygote._receive(0.1) is None and zygote.spare is not None:
            break
    spare = zygote.spare[0]
    assert os.getpgid(spare) == spare and spare != pid  # a group of its own, not the zygote
    os.kill(spare, signal.SIGKILL)  # dies before it gets a file
    assert_process_gone(spare)
    result = extract(DATA / "letter-kk-text.pdf")
    assert result.status == "done" and result.pages
    assert extraction_zygote.running_pid() == pid  # the zygote forked another spare
    assert zygote_jobs() >= 2


def test_zygote_removes_its_warm_up_file_and_those_of_killed_zygotes(fresh_zygote, tmp_path):
    from docflow.registry.extractor import zygote as worker_zygote

    shm = Path("/dev/shm")  # noqa: S108 - where the zygote writes it

    def warm_ups(pid) -> list[Path]:  # (other test processes may run zygotes too)
        return list(shm.glob(f"{worker_zygote.WARM_UP_PREFIX}{pid}-*"))

    if not os.access(shm, os.W_OK):
        pytest.skip("no /dev/shm")
    dead = shm / f"{worker_zygote.WARM_UP_PREFIX}999999999-x"  # no such pid
    dead.mkdir()
    (dead / "warm-up.pdf").write_bytes(b"%PDF-1.4")
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    pid = extraction_zygote.running_pid()
    assert not dead.exists()  # a killed zygote's leftover
    [ours] = warm_ups(pid)
    assert (ours / "warm-up.pdf").read_bytes().startswith(b"%PDF-")
    extraction_zygote.shutdown()
    assert warm_ups(pid) == []


def test_zygote_killed_during_a_file_falls_back(fresh_zygote, monkeypatch, tmp_path):
    pidfile = patched_zygote(monkeypatch, tmp_path)
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    pid = extraction_zygote.running_pid()
    slow = shutil.copy(DATA / "letter-kk-text.pdf", tmp_path / "slow.pdf")
    results = []
    thread = threading.Thread(target=lambda: results.append(extract(slow)))
    thread.start()
    for _ in range(100):
        if pidfile.exists() and pidfile.read_text():
            break
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)  # while its child works on slow.pdf
    thread.join(timeout=30)
    assert results and results[0].status == "done"  # redone by a process of its own
    assert found_words(results[0].text, expected("letter-kk-text.pdf")["words"])
    assert_process_gone(int(pidfile.read_text()))  # the orphaned child's group was killed
    assert extract(DATA / "letter-kk-text.pdf").status == "done"  # a new zygote
    assert extraction_zygote.running_pid() not in (None, pid)


def test_zygote_disabled_by_the_environment(fresh_zygote, monkeypatch):
    monkeypatch.setenv("DOCFLOW_EXTRACTION_ZYGOTE", "0")
    result = extract(DATA / "letter-kk-text.pdf")
    assert result.status == "done" and result.pages
    assert extraction_zygote.running_pid() is None
    monkeypatch.setenv("DOCFLOW_EXTRACTION_ZYGOTE", "1")
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    assert extraction_zygote.running_pid() is not None


def test_busy_zygote_means_a_process_of_its_own(fresh_zygote):
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    jobs = zygote_jobs()
    with extraction_zygote._lock:  # another thread is using the zygote
        result = extract(DATA / "letter-kk-text.pdf")
    assert result.status == "done" and result.pages
    assert zygote_jobs() == jobs


def test_zygote_that_cannot_start_means_a_process_per_file(fresh_zygote, monkeypatch):
    starts = []

    def broken(fd):
        starts.append(fd)
        return (sys.executable, "-c", "raise SystemExit(3)")

    monkeypatch.setattr(extraction_sandbox, "zygote_command", broken)
    monkeypatch.setattr(extraction_zygote, "_retry_at", 0.0)  # restored after the test
    for _ in range(2):
        result = extract(DATA / "letter-kk-text.pdf")
        assert result.status == "done" and result.pages
        assert extraction_zygote.running_pid() is None
    assert len(starts) == 1  # no new attempt for ZYGOTE_RETRY_SECONDS


# --- a child reads the next file too, while its files end cleanly ----------------------------


def text_pdf(path: Path, line: str) -> Path:
    """A one-page PDF with ``line`` on it (Helvetica)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    text = pdfium_c.FPDFPageObj_NewTextObj(doc.raw, b"Helvetica", 12.0)
    pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 720)
    encoded = ctypes.create_string_buffer((line + "\0").encode("utf-16-le"))
    pdfium_c.FPDFText_SetText(text, ctypes.cast(encoded, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
    pdfium_c.FPDFPage_InsertObject(page.raw, text)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    page.close()
    doc.save(str(path))
    doc.close()
    return path


def warm_child() -> int | None:
    """The child that read the last file and may read the next (None: none)."""
    zygote = extraction_zygote._zygote
    return zygote.warm[0] if zygote is not None and zygote.warm else None


def test_clean_files_share_a_child_each_with_its_own_text(fresh_zygote, tmp_path):
    files = {
        word: text_pdf(tmp_path / f"{word}.pdf", f"Letter {word} 2026")
        for word in ("Aurora", "Borealis", "Cassiopeia")
    }
    children = set()
    for _ in range(3):
        for word, path in files.items():
            result = extract(path)
            assert result.status == "done"
            assert word in result.text
            assert not [w for w in files if w != word and w in result.text]  # nothing carried over
            children.add(warm_child())
    assert len(children) == 1 and None not in children
    assert os.getpgid(children.pop()) != os.getpgid(0)


def test_a_failed_file_ends_its_child(fresh_zygote, hostile_dir):
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    first = warm_child()
    assert extract(hostile_dir / "truncated.pdf").status == "failed"  # read by the same child
    assert_process_gone(first)  # which then took no other file
    result = extract(DATA / "letter-kk-text.pdf")  # a spare reads it
    assert result.status == "done" and result.pages
    assert warm_child() not in (None, first)


def test_a_child_reads_at_most_max_jobs_files(fresh_zygote, monkeypatch, tmp_path):
    patched_zygote(monkeypatch, tmp_path, max_jobs=2)
    children = []
    for _ in range(5):
        assert extract(DATA / "letter-kk-text.pdf").status == "done"
        children.append(warm_child())
    a, b, c = dict.fromkeys(children)  # three children, in order
    assert children == [a, a, b, b, c]
    assert_process_gone(a)


def test_other_limits_mean_another_child(fresh_zygote):
    assert extract(DATA / "letter-kk-text.pdf").status == "done"
    first = warm_child()
    result = extract(DATA / "letter-kk-text.pdf", limits=Limits(max_memory_mb=700))
    assert result.status == "done" and result.pages
    assert warm_child() not in (None, first)  # its rlimits cannot be raised in the first child
    assert_process_gone(first)
