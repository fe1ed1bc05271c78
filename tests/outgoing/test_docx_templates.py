"""Letter templates (docflow/outgoing/docx_templates.py): the shipped defaults, filling across
Word's runs, pre-filling a draft, and an office's own templates uploaded, checked and reset on
the administrators' page. No LibreOffice here (tests/outgoing/test_letter_render.py converts)."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from docflow.extensions import db
from docflow.outgoing import docx_templates as t
from docflow.outgoing import letters
from tests.fixtures import page

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("make_letter_templates", ROOT / "scripts" / "make_letter_templates.py")  # fmt: skip
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _docx(build) -> bytes:
    doc = Document()
    build(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _texts(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    return [p.text for p in doc.paragraphs]


def _all_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for table in doc.tables for row in table.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _split_runs(doc, pieces, bold_first=True):
    """A paragraph whose text is typed in several runs, as Word saves an edited placeholder."""
    p = doc.add_paragraph()
    for i, piece in enumerate(pieces):
        run = p.add_run(piece)
        run.bold = bold_first and i == 0
        if i == 1:  # Word's spelling mark between the runs
            p._p.append(p._p.makeelement(f"{{{t.W}}}proofErr", {f"{{{t.W}}}type": "spellStart"}))
    return p


def _valid_template(extra: str = "") -> bytes:
    def build(doc):
        doc.add_paragraph(f"ОФИС ҮЛГІСІ {extra}")
        doc.add_paragraph("№ {{ reg_number }} {{ reg_date }}")
        doc.add_paragraph("{{ applicant }}")
        doc.add_paragraph("{{ body }}")
        doc.add_paragraph("{{ signer_name }}")
        doc.add_paragraph("{{ qr }}")

    return _docx(build)


# --- the shipped defaults ---------------------------------------------------------------------


def test_shipped_templates_are_the_scripts_output_byte_for_byte():
    script = _script()
    for kind in script.KINDS:
        for lang in script.LANGS:
            made = script.render(kind, lang)
            assert made == script.render(kind, lang)  # deterministic
            assert (t.TEMPLATE_DIR / f"letter-{kind}-{lang}.docx").read_bytes() == made, (kind, lang)  # fmt: skip


@pytest.mark.parametrize("kind", ["answer_final", "answer_interim", "notice"])
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r_ans_1_shipped_templates_print_what_their_kind_requires(app, kind, lang):
    found = t.validate_template(t.default_template(kind, lang), kind)
    assert set(t.required_for(kind)) <= found
    assert {"org_name_kk", "org_name_ru"} <= found  # the letterhead in both languages
    if kind == "answer_final":  # R-ANS-1: decision, legal basis, right to complain
        assert {"decision", "legal_basis", "complaint"} <= found


def test_a_notice_kind_without_its_own_template_uses_the_generic_notice(app):
    assert t.template_kind("answer", True) == "answer_final"
    assert t.template_kind("answer", False) == "answer_interim"
    assert t.template_kind("extension") == "extension"
    assert t.current_template("extension", "ru") == t.default_template("notice", "ru")


# --- filling ------------------------------------------------------------------------------------


def test_placeholder_split_across_runs_is_replaced_in_the_first_runs_formatting(app):
    def build(doc):
        _split_runs(doc, ["Исх. № {{ reg", "_num", "ber }} от {{", " reg_date }}."])

    template = _docx(build)
    assert t.placeholders_in(template) == {"reg_number", "reg_date"}
    out = t.fill(template, {"reg_number": "01-12/345", "reg_date": "02.12.2026"})
    doc = Document(io.BytesIO(out))
    p = doc.paragraphs[0]
    assert p.text == "Исх. № 01-12/345 от 02.12.2026."
    assert "{{" not in p.text and "}}" not in p.text
    assert p.runs[0].bold and "01-12/345" in p.runs[0].text  # the value took the first run's format


def test_placeholders_in_tables_and_headers_are_filled(app):
    def build(doc):
        doc.sections[0].header.paragraphs[0].text = "{{ org_name_ru }}"
        cell = doc.add_table(rows=1, cols=2).rows[0].cells[1]
        cell.paragraphs[0].text = "{{ applicant }}"

    out = t.fill(_docx(build), {"org_name_ru": "Акимат города Алматы", "applicant": "Сәтбаев Қ."})
    doc = Document(io.BytesIO(out))
    assert doc.sections[0].header.paragraphs[0].text == "Акимат города Алматы"
    assert doc.tables[0].rows[0].cells[1].text == "Сәтбаев Қ."


def test_body_of_several_paragraphs_keeps_the_template_paragraphs_formatting(app):
    def build(doc):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.first_line_indent = Cm(1.25)
        run = p.add_run("{{ body }}")
        run.font.size = Pt(14)
        doc.add_paragraph("Басшы {{ signer_name }}")

    # as a browser's textarea sends it (CR LF), with a control character pasted in
    body = "Құрметті өтініш беруші!\r\n\r\nБірінші абзац: әғқңөұүһі.\x0b\r\nЕкінші абзац."
    template = _docx(build)
    indent = Document(io.BytesIO(template)).paragraphs[0].paragraph_format.first_line_indent
    assert indent is not None
    out = t.fill(template, {"body": body, "signer_name": "Қасымов Б."})
    doc = Document(io.BytesIO(out))
    texts = [p.text for p in doc.paragraphs]
    assert texts == ["Құрметті өтініш беруші!", "Бірінші абзац: әғқңөұүһі.", "Екінші абзац.", "Басшы Қасымов Б."]  # fmt: skip
    for p in doc.paragraphs[:3]:
        assert p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
        assert p.paragraph_format.first_line_indent == indent
        assert p.runs[0].font.size == Pt(14)


def test_lines_inside_other_text_become_line_breaks_and_an_empty_lonely_placeholder_goes(app):
    def build(doc):
        doc.add_paragraph("Кому: {{ applicant }}")
        doc.add_paragraph("{{ address }}")
        doc.add_paragraph("Конец")

    out = t.fill(_docx(build), {"applicant": "Иванов И.\nПетров П."})
    doc = Document(io.BytesIO(out))
    assert [p.text for p in doc.paragraphs] == ["Кому: Иванов И.\nПетров П.", "Конец"]


def test_the_qr_code_is_a_picture_where_its_placeholder_was(app):
    from docflow.outgoing.letter_render import qr_png

    out = t.fill(_valid_template(), {"body": "Мәтін"}, images={"qr": qr_png("http://x/v/abc/123")})
    doc = Document(io.BytesIO(out))
    assert not any("{{" in p.text for p in doc.paragraphs)
    pictures = list(doc.inline_shapes)
    assert len(pictures) == 1
    blobs = [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]
    assert blobs and blobs[0].startswith(b"\x89PNG")


# --- pre-filling ----------------------------------------------------------------------------------


def test_prefill_gives_the_addressee_the_incoming_number_and_date_and_the_question(app, routed):
    item = routed("in_work")
    for lang, greeting in (("kk", "Құрметті"), ("ru", "Уважаемый(-ая)")):
        values = t.prefill(item, "answer", lang)
        applicant = item.applicants[0].display_name
        assert values["applicant"] == applicant and values["address"] == item.applicants[0].address
        assert values["incoming_number"] == item.reg_number
        assert values["incoming_date"] == item.registration_date.strftime("%d.%m.%Y")
        assert values["question"] and values["question"] in item.summary
        body = values["body"]
        assert body.startswith(f"{greeting} {applicant}")
        for key in ("incoming_number", "incoming_date", "question"):
            assert values[key] in body, key
        assert values["org_name_kk"] and values["org_name_ru"]


def test_a_draft_without_a_body_starts_from_the_pre_filled_text(app, routed, users):
    item = routed("in_work")
    letter = letters.create_letter(item, users["exec.energy"], final=True, language="ru")
    assert letter.body == t.prefill(item, "answer_final", "ru")["body"]
    interim = letters.create_letter(item, users["exec.energy"], final=False, language="kk")
    assert interim.body == t.prefill(item, "answer_interim", "kk")["body"]
    assert interim.body != letter.body
    given = letters.create_letter(item, users["exec.energy"], body="Өз мәтінім.", language="kk")
    assert given.body == "Өз мәтінім."
    assert letters.versions(letter)[0].body == letter.body  # the first kept version


# --- an office's own templates ------------------------------------------------------------------


def test_upload_check_refuses_what_is_not_a_usable_template(app):
    with pytest.raises(t.TemplateRejected):
        t.validate_template(b"%PDF-1.4 not a docx", "notice")
    with pytest.raises(t.TemplateRejected):
        t.validate_template(b"PK\x03\x04 broken zip", "notice")
    no_body = _docx(lambda d: d.add_paragraph("{{ reg_number }} {{ reg_date }} {{ applicant }} {{ signer_name }} {{ qr }}"))  # fmt: skip
    with pytest.raises(t.TemplateRejected) as exc:
        t.validate_template(no_body, "notice")
    assert "{{ body }}" in exc.value.message
    with pytest.raises(t.TemplateRejected) as exc:
        t.validate_template(_valid_template("{{ iin }}"), "notice")
    assert "{{ iin }}" in exc.value.message
    # R-ANS-1: a final answer's template must print the decision, legal basis and complaint
    with pytest.raises(t.TemplateRejected) as exc:
        t.validate_template(_valid_template(), "answer_final")
    assert "{{ decision }}" in exc.value.message
    assert t.validate_template(_valid_template(), "notice") >= set(t.required_for("notice"))


def test_upload_check_refuses_links_to_outside_files_but_not_hyperlinks(app):
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    def linked(rel_type):
        doc = Document(io.BytesIO(_valid_template()))
        doc.part.relate_to("http://203.0.113.5/x", rel_type, is_external=True)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()

    with pytest.raises(t.TemplateRejected) as exc:  # the converter would fetch a linked picture
        t.validate_template(linked(RT.IMAGE), "notice")
    assert "external" in exc.value.message
    assert "body" in t.validate_template(linked(RT.HYPERLINK), "notice")


def test_stored_template_is_used_and_reset_brings_the_default_back(app, users, routed):
    from docflow.outgoing.letter_render import letter_docx

    item = routed("in_work")
    letter = letters.create_letter(item, users["exec.energy"], body="Аралық жауап мәтіні.", language="kk")  # fmt: skip
    t.store_template("answer_interim", "kk", _valid_template("BIZDIN"), "own.docx", users["admin"])
    db.session.commit()
    docx, _digest = letter_docx(letter)
    text = _all_text(docx)
    assert "ОФИС ҮЛГІСІ BIZDIN" in text and "Аралық жауап мәтіні." in text
    assert t.reset_template("answer_interim", "kk", users["admin"]) is True
    db.session.commit()
    assert "ОФИС ҮЛГІСІ" not in _all_text(letter_docx(letter)[0])
    assert t.current_template("answer_interim", "kk") == t.default_template("answer_interim", "kk")


def _upload(client, kind, lang, data, name="t.docx"):
    return client.post(
        f"/admin/letter-templates/{kind}/{lang}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_admin_page_lists_downloads_uploads_and_resets(app, web):
    admin = web("admin")
    assert "/admin/letter-templates/" in page(
        admin.get("/org")
    )  # reached from the Organisation page
    r = admin.get("/admin/letter-templates/")
    assert r.status_code == 200 and "{{ body }}" in page(r)
    r = admin.get("/admin/letter-templates/answer_final/ru.docx")
    assert r.status_code == 200 and r.data == t.default_template("answer_final", "ru")
    r = _upload(admin, "notice", "ru", _valid_template("НАШ"))
    assert r.status_code == 303, page(r)[:300]
    row = t.office_template("notice", "ru")
    assert row is not None and row.filename == "t.docx"
    assert "t.docx" in page(web("admin", lang="ru").get("/admin/letter-templates/"))
    assert admin.get("/admin/letter-templates/notice/ru.docx").data == row.data
    assert admin.post("/admin/letter-templates/notice/ru/reset").status_code == 303
    db.session.expire_all()
    assert t.office_template("notice", "ru") is None


def test_admin_upload_of_a_bad_template_is_422_and_keeps_nothing(app, web):
    admin = web("admin")
    missing_qr = _docx(lambda d: d.add_paragraph("{{ reg_number }} {{ reg_date }} {{ applicant }} {{ body }} {{ signer_name }}"))  # fmt: skip
    r = _upload(admin, "answer_interim", "kk", missing_qr)
    assert r.status_code == 422
    assert "{{ qr }}" in page(r)
    r = _upload(admin, "answer_interim", "kk", b"not a word file", "x.doc")
    assert r.status_code == 422
    db.session.expire_all()
    assert t.office_template("answer_interim", "kk") is None


def test_only_administrators_manage_templates(app, web):
    for who in ("clerk", "head.energy", "inspector"):
        c = web(who)
        assert c.get("/admin/letter-templates/").status_code == 403, who
        assert _upload(c, "notice", "kk", _valid_template()).status_code == 403, who
    db.session.expire_all()
    assert t.office_template("notice", "kk") is None
