"""Extraction speed: ``extract()`` against raw pypdfium2 and against the ``tesseract`` command.

Run with ``.venv/bin/python benchmarks/extraction.py`` (≈60 s). Prints figures, asserts nothing.

1. Born-digital PDFs (pages of ``tests/registry/data/letter-kk-text.pdf`` repeated) in sets of
   different lengths: pages/s of raw pypdfium2 text extraction in this process
   (``get_textpage().get_text_range()`` per page), and of ``extract()`` (a sandboxed child per
   file) on both paths: a fresh interpreter per file (``DOCFLOW_EXTRACTION_ZYGOTE=0``) and a
   child forked by the zygote (the default); the ratios are to the raw time. ``extract()``
   returns the text only: the first-page preview is a step of its own, made after the text
   (``make_preview()``, timed on its own line against the worker's rendering code run raw in
   this process). The columns of one run are taken in turn, so that a machine loaded by other
   work weighs on them alike. Then the 2-page letter's line: raw ms, ``extract()`` ms and the
   ratio (target ≤ 2×). ``--profile`` adds cProfile tables.
2. OCR: pages/s of ``extract()`` (the default path) on the image-only sample (and the photo)
   against ``tesseract PAGE.png stdout -l kaz+rus+eng --psm 3`` on the same pages rendered at
   300 dpi, with ``OMP_THREAD_LIMIT=1`` like the pipeline and (first page only) with tesseract's
   default threading.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from docflow.registry import extraction_zygote
from docflow.registry.extraction import extract, make_preview
from docflow.registry.extractor.imaging import deflate, png_from_rows
from docflow.registry.extractor.pdf import render_preview

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "registry" / "data"
TEXT_SETS = [(10, 2), (5, 20), (2, 200), (1, 500)]  # (files, pages per file)
PROCESS_RUNS = 3  # runs of the (slow) process-per-file column


def make_pdf(path: Path, pages: int) -> Path:
    source = pdfium.PdfDocument(DATA / "letter-kk-text.pdf")
    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.import_pages(source)
    doc.save(path)
    return path


def raw_text(path: Path) -> int:
    doc = pdfium.PdfDocument(path)
    chars = 0
    for page in doc:
        textpage = page.get_textpage()
        chars += len(textpage.get_text_range())
        textpage.close()
        page.close()
    doc.close()
    return chars


def raw_preview(path: Path) -> int:
    """The worker's own preview code without a process: render the first page, PNG-encode."""
    doc = pdfium.PdfDocument(path)
    page = doc[0]
    size = len(png_from_rows(*render_preview(page)))
    page.close()
    doc.close()
    return size


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def bench_text(tmp: Path, repeat: int) -> None:
    print(
        f"Born-digital PDFs: extract() vs raw pypdfium2 text (best of {repeat} runs, the "
        "columns of a run taken in turn so that they share the machine's load)"
    )
    each = f" {'p/s':>7} {'ratio':>7} {'per file':>9}"
    print(f"{'':>16} {'raw':>7} {'process per file':>25} {'zygote':>25}")
    print(f"{'set':>16} {'p/s':>7}{each}{each}")
    letter = None
    for files, pages in TEXT_SETS:
        paths = [make_pdf(tmp / f"text-{pages}-{i}.pdf", pages) for i in range(files)]
        for path in paths:  # warm the page cache (and the zygote), check the pipeline agrees
            result = extract(path)
            if result.status != "done" or result.ocr_pages or result.page_count != pages:
                print(f"  warning: {path.name}: {result.status} {result.error} (figures are off)")

        def run_ours(zygote: bool, paths=paths) -> None:
            extraction_zygote.USE_ZYGOTE = zygote
            try:
                for path in paths:
                    extract(path)
            finally:
                extraction_zygote.USE_ZYGOTE = True

        def run_raw(paths=paths) -> None:
            for path in paths:
                raw_text(path)

        runs = [
            (
                timed(run_raw),
                timed(run_ours, False) if index < PROCESS_RUNS else float("inf"),
                timed(run_ours, True),
            )
            for index in range(repeat)
        ]
        raw, process, zygote = (min(column) for column in zip(*runs, strict=True))
        total = files * pages
        label = f"{files}×{pages} pages"
        line = f"{label:>16} {total / raw:7.0f}"
        for ours in (process, zygote):
            line += f" {total / ours:7.0f} {ours / raw:6.1f}× {ours / files * 1000:7.1f}ms"
        print(line)
        if pages == 2:
            letter = (raw / files, zygote / files, paths)
    if letter is not None:
        raw, ours, paths = letter
        print(
            f"  2-page born-digital letter: raw pypdfium2 {raw * 1000:.2f} ms, extract() "
            f"{ours * 1000:.2f} ms: {ours / raw:.1f}× (target ≤ 2×; load average "
            f"{os.getloadavg()[0]:.1f})"
        )
        bench_preview(paths, repeat)
    cpu_per_file(tmp)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "import pypdfium2"], check=True)
    print(
        f"  (a fresh interpreter importing pypdfium2 alone: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms — the floor of the per-file cost)"
    )
    extraction_zygote.shutdown()
    started = time.perf_counter()
    extract(DATA / "letter-kk-text.pdf")
    first = time.perf_counter() - started
    second = min(timed(extract, DATA / "letter-kk-text.pdf") for _ in range(5))
    print(
        f"  (the zygote's start-up, once per process: {(first - second) * 1000:.0f} ms; "
        f"the sample letter then takes {second * 1000:.1f} ms)"
    )


def bench_preview(paths: list[Path], repeat: int) -> None:
    """The preview step, made after the text (``make_preview()``, a sandboxed child per file),
    against the worker's rendering code run raw in this process."""
    for path in paths:
        if make_preview(path).png is None:
            print(f"  warning: no preview of {path.name} (figures are off)")
    runs = [
        (
            timed(lambda: [raw_preview(p) for p in paths]),
            timed(lambda: [make_preview(p) for p in paths]),
        )
        for _ in range(repeat)
    ]
    raw, ours = (min(column) / len(paths) for column in zip(*runs, strict=True))
    print(
        f"  its preview, a step of its own after the text: make_preview() {ours * 1000:.2f} ms "
        f"(render + PNG raw in this process {raw * 1000:.2f} ms)"
    )


def zygote_cpu() -> float:
    """CPU seconds of the zygote and of its children reaped so far (``/proc/PID/stat``)."""
    pid = extraction_zygote.running_pid()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_per_file(tmp: Path, files: int = 200) -> None:
    """CPU time, which a loaded machine does not inflate as much as the wall-clock time: raw
    pypdfium2 in this process against extract() of 2-page letters (this process, the zygote and
    its children, the spare children's warm-up included)."""
    if not Path("/proc/self/stat").exists():
        return
    path = make_pdf(tmp / "cpu-2.pdf", 2)
    extract(path)
    started = time.process_time()
    for _ in range(files):
        raw_text(path)
    raw = (time.process_time() - started) / files
    extract(path)
    zygote, started = zygote_cpu(), time.process_time()
    for _ in range(files):
        extract(path)
    extract(path)  # the last child is reaped when the next file comes
    ours = (time.process_time() - started + zygote_cpu() - zygote) / (files + 1)
    print(
        f"  CPU per 2-page file: raw {raw * 1000:.2f} ms, extract() {ours * 1000:.2f} ms "
        f"(parent, zygote and children): {ours / raw:.1f}×"
    )


def profile(tmp: Path) -> None:
    """Where the time of a 2-page letter goes: the child's work (``extractor.worker.run`` in this
    process) and the parent's (``extract()`` through the zygote), by cProfile."""
    import cProfile
    import pstats

    from docflow.registry.extractor.common import Limits
    from docflow.registry.extractor.worker import run

    path = make_pdf(tmp / "profile-2.pdf", 2)
    preview = str(tmp / "preview.png")
    for label, call in (
        ("the child's text job, in this process", lambda: run(str(path), Limits())),
        ("extract() in the parent (the child's work is in the waits)", lambda: extract(path)),
        (
            "the child's preview job, in this process",
            lambda: run(str(path), Limits(), preview=preview),
        ),
    ):
        call()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            call()
        profiler.disable()
        print(f"\nProfile of {label}, 50 runs of a 2-page letter:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def words_found(text: str, name: str) -> str:
    words = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))["words"]
    low = text.lower()
    return f"{sum(w.lower() in low for w in words)}/{len(words)}"


def tesseract(image: Path, threads: str | None) -> str:
    env = dict(os.environ)
    if threads:
        env["OMP_THREAD_LIMIT"] = threads
    else:
        env.pop("OMP_THREAD_LIMIT", None)
    cmd = ["tesseract", str(image), "stdout", "-l", "kaz+rus+eng", "--psm", "3"]
    return subprocess.run(cmd, env=env, capture_output=True, check=True, text=True).stdout


def bench_ocr(tmp: Path, pages: int) -> None:
    print(f"\nOCR: extract() vs the tesseract command (kaz+rus+eng, --psm 3), {pages} pages")
    scan = make_scan(tmp / "scan.pdf", pages)
    images = []
    doc = pdfium.PdfDocument(scan)
    for index, page in enumerate(doc):
        image = tmp / f"page-{index}.png"
        page.render(scale=300 / 72, grayscale=True).to_pil().save(image)
        images.append(image)
    doc.close()
    photo = DATA / "scan-kk-photo.png"

    started = time.perf_counter()
    result = extract(scan)
    ours = time.perf_counter() - started
    if result.status != "done" or result.ocr_pages != pages:
        print(f"  warning: {result.status} {result.error}, {result.ocr_pages} OCR pages")
    quality = words_found(result.pages[0], "scan-ru-image.pdf")
    print(f"{'':>28} {'pages/s':>8} {'words (page 1)':>15}")
    print(f"{'extract() image-only PDF':>28} {pages / ours:8.2f} {quality:>15}")
    baseline = {}
    for threads, label, run in (
        ("1", "OMP_THREAD_LIMIT=1", images),
        (None, "default threads", images[:1]),
    ):
        started = time.perf_counter()
        texts = [tesseract(image, threads) for image in run]
        baseline[threads] = took = (time.perf_counter() - started) * pages / len(run)
        quality = words_found(texts[0], "scan-ru-image.pdf")
        print(f"{'tesseract 300 dpi, ' + label:>28} {pages / took:8.2f} {quality:>15}")
    print(f"  ratio extract()/tesseract (same thread limit): {ours / baseline['1']:.2f}× the time")

    started = time.perf_counter()
    result = extract(photo)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    text = tesseract(photo, "1")
    took = time.perf_counter() - started
    print(f"{'extract() photo PNG':>28} {1 / ours:8.2f} {words_found(result.text, photo.name):>15}")
    print(f"{'tesseract photo PNG':>28} {1 / took:8.2f} {words_found(text, photo.name):>15}")
    print(f"  ratio extract()/tesseract on the photo: {ours / took:.2f}× the time")


def make_scan(path: Path, pages: int) -> Path:
    source = pdfium.PdfDocument(DATA / "scan-ru-image.pdf")
    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.import_pages(source)
    doc.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per text set (best counts)")
    parser.add_argument("--ocr-pages", type=int, default=2, help="pages of the OCR benchmark")
    parser.add_argument("--no-ocr", action="store_true", help="skip the OCR benchmark")
    parser.add_argument("--profile", action="store_true", help="cProfile a 2-page letter")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, pypdfium2 {pdfium.PYPDFIUM_INFO}, {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.1f}, PNG deflate: {deflate.__name__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        bench_text(Path(tmp), args.repeat)
        if not args.no_ocr:
            bench_ocr(Path(tmp), args.ocr_pages)
        if args.profile:
            profile(Path(tmp))


if __name__ == "__main__":
    main()
