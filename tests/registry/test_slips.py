"""Receipt slips and registration labels: one page, real text, Almaty time, a QR that decodes."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone

import pdfplumber
import pypdfium2 as pdfium
import pytest
import segno
from PIL import Image

from docflow.core import pdf
from docflow.registry import slips
from docflow.registry.batch import decode_qr
from docflow.registry.slips import (
    FontNotFoundError,
    SlipData,
    find_font,
    qr_payload,
    qr_png,
    render_receipt_slip,
    render_stamp_label,
)

NUMBER = "ЖТ-2026-00000742"
KAZAKH_LETTERS = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"
APPLICANT = "Әлібек Ғалымұлы Құрманғазиев"


def slip_data(**changes) -> SlipData:
    data = SlipData(
        reg_number=NUMBER,
        registered_at=datetime(2026, 11, 20, 13, 5, tzinfo=UTC),
        kind={"kk": "Өтініш", "ru": "Заявление"},
        channel={"kk": "Қолма-қол (кеңсе)", "ru": "Нарочно (канцелярия)"},
        applicant=APPLICANT,
        accepted_by="Дина Ерланқызы Сапарова",
        accepted_by_position="Кеңсе маманы",
        organisation={
            "kk": "Алматы қаласы Медеу ауданының әкімдігі",
            "ru": "Акимат Медеуского района города Алматы",
        },
        due_date=date(2026, 12, 4),
        pages=3,
        item_url="https://docflow.example.kz/items/742",
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def pdf_text(pdf: bytes) -> tuple[int, str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages), "\n".join(page.extract_text() or "" for page in doc.pages)


def render(pdf: bytes, dpi: int = 200) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[0].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        doc.close()


def test_receipt_slip_is_one_page_with_extractable_kazakh_text():
    pdf = render_receipt_slip(slip_data(applicant=f"{APPLICANT} ({KAZAKH_LETTERS})"))
    pages, text = pdf_text(pdf)
    assert pages == 1
    assert NUMBER in text
    assert APPLICANT in text
    assert KAZAKH_LETTERS in text  # every Kazakh letter comes back: embedded font + ToUnicode
    for label in ("Тіркеу нөмірі", "Регистрационный номер", "Қабылдаған", "Принял"):
        assert label in text
    assert "Жауап беру мерзімі" in text and "04.12.2026" in text
    assert "Дина Ерланқызы Сапарова" in text and "Кеңсе маманы" in text
    assert "Алматы қаласы Медеу ауданының әкімдігі" in text
    assert b"/FontFile2" in pdf and b"/ToUnicode" in pdf
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert all("DejaVuSans" in c["fontname"] for c in doc.pages[0].chars)
        width_mm = doc.pages[0].width / 72 * 25.4
        height_mm = doc.pages[0].height / 72 * 25.4
    assert (round(width_mm), round(height_mm)) == (148, 210)  # A5


def test_receipt_slip_shows_almaty_local_time():
    _, text = pdf_text(render_receipt_slip(slip_data()))
    assert "20.11.2026 18:05" in text  # 13:05 UTC is 18:05 in Almaty (UTC+5)
    assert "13:05" not in text
    # the same moment given in another zone prints the same local time
    other = datetime(2026, 11, 20, 16, 5, tzinfo=timezone(timedelta(hours=3)))
    _, text = pdf_text(render_receipt_slip(slip_data(registered_at=other)))
    assert "20.11.2026 18:05" in text


def test_receipt_slip_qr_decodes_to_the_number():
    assert decode_qr(render(render_receipt_slip(slip_data()), dpi=200)) == [NUMBER]


def test_receipt_slip_qr_opens_the_status_page_when_given():
    # issue 14 item 9: the QR leads to the public status page, the code in the fragment
    url = "https://docflow.example.kz/public/status?number=%D0%96%D0%A2-2026-00000742#code=ABCD2345"
    data = slip_data(qr_url=url, status_code="ABCD2345")
    assert decode_qr(render(render_receipt_slip(data), dpi=200)) == [url]
    assert "ABCD-2345" in pdf_text(render_receipt_slip(data))[1]


def test_receipt_slip_without_optional_fields():
    data = slip_data(due_date=None, pages=None, item_url=None, accepted_by_position=None)
    pages, text = pdf_text(render_receipt_slip(data))
    assert pages == 1
    assert NUMBER in text and "Срок ответа" not in text and "Количество листов" not in text


def test_receipt_slip_with_very_long_fields_stays_on_one_page():
    long = "Құрманғазы " * 60
    data = slip_data(
        applicant=long,
        accepted_by_position=long,
        kind={"kk": long, "ru": long},
        item_url="https://docflow.example.kz/" + "x" * 400,
    )
    pages, text = pdf_text(render_receipt_slip(data))
    assert pages == 1
    assert NUMBER in text


def test_naive_registration_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        render_receipt_slip(slip_data(registered_at=datetime(2026, 11, 20, 13, 5)))


def test_stamp_label_decodes_to_the_number():
    pdf = render_stamp_label(slip_data())
    pages, text = pdf_text(pdf)
    assert pages == 1
    assert NUMBER in text
    assert "20.11.2026 18:05" in text
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        assert (round(page.width / 72 * 25.4), round(page.height / 72 * 25.4)) == (70, 40)
    assert decode_qr(render(pdf, dpi=200)) == [NUMBER]


def test_stamp_label_prefers_the_short_organisation_name():
    org = {
        "kk": "Алматы қаласы Медеу ауданының әкімдігі",
        "ru": "Акимат",
        "short": "Медеу әкімдігі",
    }
    _, text = pdf_text(render_stamp_label(slip_data(organisation=org)))
    assert "Медеу әкімдігі" in text


@pytest.mark.parametrize(
    "payload", [NUMBER, "КХ-2026-000012", "ЖТ", "https://docflow.example.kz/items/742"]
)
def test_qr_png_round_trip(payload):
    image = Image.open(io.BytesIO(qr_png(payload, box=3)))
    assert image.format == "PNG"
    assert decode_qr(image) == [payload]


def test_qr_holds_the_number_as_utf8_bytes():
    assert qr_payload(f"  {NUMBER} ") == NUMBER
    code = slips._qr(NUMBER)
    assert code.mode == "byte"
    with pytest.raises(ValueError):
        qr_payload(" \n")


def test_decode_qr_reads_utf8_with_eci_marker():
    buf = io.BytesIO()
    segno.make(NUMBER, mode="byte", encoding="utf-8", eci=True).save(buf, kind="png", scale=4)
    assert decode_qr(Image.open(buf)) == [NUMBER]


def test_find_font_names_the_debian_package_when_missing(monkeypatch, tmp_path):
    assert find_font().name == "DejaVuSans.ttf"
    monkeypatch.setattr(pdf, "FONT_DIRS", (str(tmp_path),))
    monkeypatch.delenv(pdf.FONT_ENV, raising=False)
    with pytest.raises(FontNotFoundError, match="fonts-dejavu-core"):
        find_font()
    with pytest.raises(FontNotFoundError, match="fonts-dejavu-core"):
        render_receipt_slip(slip_data())


def test_find_font_honours_the_environment(monkeypatch, tmp_path):
    (tmp_path / "DejaVuSans.ttf").write_bytes(find_font().read_bytes())
    monkeypatch.setenv(pdf.FONT_ENV, str(tmp_path))
    assert find_font() == tmp_path / "DejaVuSans.ttf"
