"""Signing speed: docflow's sign-and-embed and verify against pyHanko's own, on the same letter.

Run with ``.venv/bin/python benchmarks/signing.py [--runs 15]`` (about half a minute). Prints
figures, asserts nothing.

A two-page Kazakh/Russian letter is made with fpdf2 (DejaVu via ``docflow.core.pdf``; Helvetica
and Latin text when the font is missing) and a test PKI (root → intermediate → head, RSA 2048).
For each run, alternately so a busy machine slows both sides alike:

1. sign, server keystore — ``docflow.signing.sign_pdf`` (purpose check, field naming, PAdES
   B-B) against pyHanko's ``signers.sign_pdf`` with a ``SimpleSigner`` and the same metadata;
2. sign, NCALayer path — ``prepare`` + the external CMS (made as NCALayer makes it, the RSA
   signature included) + ``finish`` (CMS checks, embedding) against the same pyHanko signing;
3. verify — ``docflow.signing.verify_pdf`` (every check, including the EKU/IIN/BIN rules)
   against pyHanko's ``validate_pdf_signature`` with a validation context on the same root.

Each line gives both medians and the median of the per-run ratios docflow / pyHanko.
"""

from __future__ import annotations

import argparse
import statistics
import time
from io import BytesIO

from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docflow.signing import finish, load_pkcs12, prepare, sign_pdf, verify_pdf
from docflow.signing.certinfo import to_asn1
from docflow.signing.pki import CertificateAuthority, ncalayer_cms

BODY_KK = (
    "Құрметті өтініш беруші! Сіздің өтінішіңіз қаралды. Қазақстан Республикасының "
    "Әкімшілік рәсімдік-процестік кодексінің 89-бабына сәйкес шешімге шағымдануға құқығыңыз бар. "
)
BODY_RU = (
    "Уважаемый заявитель! Ваше обращение рассмотрено. В соответствии со статьёй 89 "
    "Административного процедурно-процессуального кодекса вы вправе обжаловать решение. "
)


def letter() -> bytes:
    try:
        from docflow.core.pdf import FONT, new_pdf

        pdf = new_pdf()
        font, body = FONT, BODY_KK + BODY_RU
    except Exception:  # no DejaVu here: Latin text keeps the figures comparable
        from fpdf import FPDF

        pdf = FPDF()
        font, body = "helvetica", "Dear applicant, your appeal has been considered. "
    pdf.set_title("Answer 01-12/345")
    for _ in range(2):
        pdf.add_page()
        pdf.set_font(font, size=12)
        pdf.multi_cell(0, 7, "Outgoing No. 01-12/345, 01.12.2026\n\n" + body * 12)
    return bytes(pdf.output())


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(name: str, ours, theirs, runs: int) -> None:
    ours(), theirs()  # warm-up: imports, caches
    o_times, t_times = [], []
    for _ in range(runs):
        o_times.append(timed(ours))
        t_times.append(timed(theirs))
    ratios = [o / t for o, t in zip(o_times, t_times, strict=True)]
    print(
        f"{name:<34} docflow p50={statistics.median(o_times) * 1000:7.1f} ms   "
        f"pyHanko p50={statistics.median(t_times) * 1000:7.1f} ms   "
        f"ratio p50={statistics.median(ratios):5.2f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    pdf = letter()
    root = CertificateAuthority.create()
    ca = root.intermediate("Bench NCA (RSA)")
    head = ca.issue(
        "ОСПАНОВ КАЙРАТ", iin="750412300456", bin="990340001234", organisation="Әкімдік"
    )
    keystore = load_pkcs12(head.pkcs12("bench"), "bench")
    key_der = head.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    plain_signer = signers.SimpleSigner(
        signing_cert=to_asn1(head.certificate),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in head.chain]),
        embed_roots=False,
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
    )

    def pyhanko_sign() -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        return signers.sign_pdf(writer, meta, signer=plain_signer).getvalue()

    def ncalayer_path() -> bytes:
        state, digest, algorithm = prepare(pdf, head.certificate)
        return finish(state, ncalayer_cms(digest, head, digest_algorithm=algorithm))

    signed = sign_pdf(pdf, keystore)
    roots = [root.cert_pem]

    def pyhanko_validate():
        sig = PdfFileReader(BytesIO(signed)).embedded_signatures[0]
        status = validate_pdf_signature(
            sig, ValidationContext(trust_roots=[to_asn1(root.certificate)])
        )
        assert status.bottom_line

    def docflow_verify():
        assert verify_pdf(signed, roots, expected_iin="750412300456").valid

    print(f"letter: {len(pdf)} bytes, 2 pages; signed: {len(signed)} bytes; runs: {args.runs}")
    compare("sign, server keystore", lambda: sign_pdf(pdf, keystore), pyhanko_sign, args.runs)
    compare("sign, NCALayer prepare+finish", ncalayer_path, pyhanko_sign, args.runs)
    compare("verify", docflow_verify, pyhanko_validate, args.runs)


if __name__ == "__main__":
    main()
