"""Splitting multi-page scans at the registration labels (QR codes of registration numbers)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from docflow.registry.batch import (
    Segment,
    decode_qr,
    looks_like_reg_number,
    page_count,
    pick_label,
    split_scan,
    write_segment,
)
from docflow.registry.slips import SlipData, qr_png, render_stamp_label

N1 = "ЖТ-2026-00000742"
N2 = "КХ-2026-000013"
URL = "https://egov.kz/services/P1.01"
A4_MM = (210, 297)
EXPECTED = [Segment(None, [0]), Segment(N1, [1, 2]), Segment(N2, [3, 4])]


# --- test data -------------------------------------------------------------------------------


def page_image(
    index: int, dpi: int = 100, qrs: tuple[str, ...] = (), mode: str = "L"
) -> Image.Image:
    """An A4 page with some lines of "text" and QR codes of ``qrs`` in its corners."""
    size = tuple(round(mm / 25.4 * dpi) for mm in A4_MM)
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    for y in range(size[1] // 10, size[1] * 9 // 10, max(12, dpi // 4)):
        draw.text((size[0] // 10, y), f"Page {index + 1}: Өтініш мәтіні, line {y}", fill=0)
    corners = [(size[0] - 20, 20), (20, size[1] - 20)]  # top right, bottom left
    for payload, (x, y) in zip(qrs, corners, strict=False):
        # box 4 px at 100 dpi ≈ 1 mm per module, as on a printed label
        code = Image.open(io.BytesIO(qr_png(payload, box=max(1, round(4 * dpi / 100)))))
        left = x - code.width if x > size[0] // 2 else x
        top = y - code.height if y > size[1] // 2 else y
        page.paste(code.convert("L"), (left, top))
    return page.convert(mode)


def stack(labels: dict[int, tuple[str, ...]], count: int = 5, mode: str = "L") -> list[Image.Image]:
    return [page_image(i, qrs=labels.get(i, ()), mode=mode) for i in range(count)]


def save_pdf(pages: list[Image.Image], path: Path) -> Path:
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=100.0)
    return path


def save_tiff(pages: list[Image.Image], path: Path) -> Path:
    pages = [p.convert("1") for p in pages]
    pages[0].save(
        path, save_all=True, append_images=pages[1:], compression="group4", dpi=(100, 100)
    )
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pdf_pages(path: Path | io.BytesIO) -> int:
    doc = pdfium.PdfDocument(path.getvalue() if isinstance(path, io.BytesIO) else path)
    try:
        return len(doc)
    finally:
        doc.close()


@pytest.fixture(scope="module")
def scan_pdf(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scan")
    return save_pdf(stack({1: (N1,), 3: (N2,)}), folder / "scan.pdf")


@pytest.fixture(scope="module")
def scan_tiff(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scan")
    return save_tiff(stack({1: (N1,), 3: (N2,)}), folder / "scan.tif")


# --- splitting -------------------------------------------------------------------------------


def test_split_pdf_at_the_labels(scan_pdf):
    assert page_count(scan_pdf) == 5
    assert split_scan(scan_pdf) == EXPECTED
    assert split_scan(scan_pdf, is_known={N1, N2}.__contains__) == EXPECTED


def test_write_segments_of_a_pdf(scan_pdf, tmp_path):
    before = digest(scan_pdf)
    for n, segment in enumerate(EXPECTED):
        out = tmp_path / f"segment-{n}.pdf"
        write_segment(scan_pdf, segment.pages, out)
        assert pdf_pages(out) == len(segment.pages)
    # the segment really holds the labelled page first
    assert split_scan(tmp_path / "segment-2.pdf") == [Segment(N2, [0, 1])]
    buf = io.BytesIO()
    write_segment(scan_pdf, [0, 4], buf)
    assert pdf_pages(buf) == 2
    assert digest(scan_pdf) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "segment-0.pdf",
        "segment-1.pdf",
        "segment-2.pdf",
    ]  # no temporary files left behind


def test_write_segment_refuses_bad_requests(scan_pdf, tmp_path):
    with pytest.raises(ValueError, match="not in the scan"):
        write_segment(scan_pdf, [4, 5], tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="no pages"):
        write_segment(scan_pdf, [], tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="never overwrites"):
        write_segment(scan_pdf, [0], scan_pdf)
    with pytest.raises(ValueError, match="as a PDF"):
        write_segment(scan_pdf, [0], tmp_path / "x.tif")
    assert not list(tmp_path.iterdir())


def test_split_and_write_a_multipage_tiff(scan_tiff, tmp_path):
    before = digest(scan_tiff)
    assert page_count(scan_tiff) == 5
    assert split_scan(scan_tiff) == EXPECTED
    write_segment(scan_tiff, [1, 2], tmp_path / "doc.tif")
    with Image.open(tmp_path / "doc.tif") as out:
        assert out.n_frames == 2
    write_segment(scan_tiff, [3, 4], tmp_path / "doc.pdf")
    assert pdf_pages(tmp_path / "doc.pdf") == 2
    assert split_scan(tmp_path / "doc.pdf") == [Segment(N2, [0, 1])]
    assert digest(scan_tiff) == before


def test_a_url_qr_is_not_a_label(tmp_path):
    scan = save_pdf(stack({1: (N1,), 2: (URL,), 3: (N2,)}), tmp_path / "scan.pdf")
    assert split_scan(scan, is_known={N1, N2}.__contains__) == EXPECTED
    assert split_scan(scan) == EXPECTED  # not shaped like a number either


def test_a_page_with_a_url_and_a_label_uses_the_label(tmp_path):
    scan = save_pdf(stack({1: (URL, N1), 3: (N2,)}), tmp_path / "scan.pdf")
    assert split_scan(scan) == EXPECTED
    assert split_scan(scan, is_known={N1, N2}.__contains__) == EXPECTED


def test_an_unknown_number_starts_an_unmatched_document(tmp_path):
    scan = save_pdf(stack({1: (N1,), 3: (N2,)}), tmp_path / "scan.pdf")
    calls: list[str] = []

    def is_known(text: str) -> bool:
        calls.append(text)
        return text == N1

    assert split_scan(scan, is_known=is_known) == [
        Segment(None, [0]),
        Segment(N1, [1, 2]),
        Segment(None, [3, 4], unknown_label=N2),
    ]
    assert sorted(calls) == sorted([N1, N2])


def test_a_scan_without_labels_is_one_unmatched_segment(tmp_path):
    scan = save_pdf(stack({}, count=3), tmp_path / "scan.pdf")
    assert split_scan(scan) == [Segment(None, [0, 1, 2])]


def test_a_real_label_in_the_corner_of_a_300_dpi_page():
    data = SlipData(
        reg_number=N1,
        registered_at=datetime(2026, 11, 20, 13, 5, tzinfo=UTC),
        kind={"kk": "Өтініш", "ru": "Заявление"},
        channel={"kk": "Пошта", "ru": "Почта"},
        applicant="Әлібек Құрманғазиев",
        accepted_by="Дина Сапарова",
        accepted_by_position=None,
        organisation={"kk": "Медеу ауданының әкімдігі", "ru": "Акимат Медеуского района"},
    )
    label_pdf = pdfium.PdfDocument(render_stamp_label(data))
    label = label_pdf[0].render(scale=300 / 72, grayscale=True).to_pil()
    label_pdf.close()
    page = page_image(0, dpi=300)
    page.paste(label, (page.width - label.width - 120, 120))
    assert decode_qr(page) == [N1]


# --- limits ----------------------------------------------------------------------------------


def test_too_many_pages_are_refused(scan_pdf, scan_tiff):
    with pytest.raises(ValueError, match=r"5 pages; at most 3 pages"):
        split_scan(scan_pdf, max_pages=3)
    with pytest.raises(ValueError, match=r"5 pages; at most 4 pages"):
        split_scan(scan_tiff, max_pages=4)


def test_too_large_pages_are_refused(tmp_path, scan_tiff):
    doc = pdfium.PdfDocument.new()
    doc.new_page(14400, 14400)  # 200 × 200 inches: 1.6 Gpx at 200 dpi
    doc.save(tmp_path / "huge.pdf")
    doc.close()
    with pytest.raises(ValueError, match=r"Page 1 of the scan is 40000×40000 pixels"):
        split_scan(tmp_path / "huge.pdf")
    with pytest.raises(ValueError, match="Mpx per page"):
        split_scan(scan_tiff, max_pixels=500_000)


def test_a_file_that_is_no_scan_is_refused(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a scan")
    with pytest.raises(ValueError, match="neither a PDF nor an image"):
        split_scan(junk)


# --- label recognition -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (N1, True),
        (N2, True),
        ("ЗТ-2026-00000001", True),
        ("AB/2026/15", True),
        (URL, False),
        ("ЖТ", False),
        ("ЖТ-ААА", False),
        ("01-12/345", False),
        ("Өтініш 742", False),
        ("", False),
    ],
)
def test_looks_like_reg_number(text, expected):
    assert looks_like_reg_number(text) is expected


def test_pick_label():
    assert pick_label([URL, N1, N2]) == (N1, None)
    assert pick_label([URL]) == (None, None)
    assert pick_label([N1, N2], {N2}.__contains__) == (N2, None)
    assert pick_label([URL, N1], set().__contains__) == (None, N1)
    assert pick_label(["custom#7"], {"custom#7"}.__contains__) == ("custom#7", None)
