"""PDF documents the office prints (slips, labels, notices, schedules): one font setup.

DejaVu Sans covers Kazakh and Russian (Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі); it comes from the Debian
package fonts-dejavu-core (installed by ``make run`` / ``make test``).
"""

from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF

FONT = "DejaVuSans"
FONT_PACKAGE = "fonts-dejavu-core"
FONT_ENV = "DOCFLOW_PDF_FONT_DIR"
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu (fonts-dejavu-core)
    "/usr/share/fonts/dejavu-sans-fonts",  # Fedora
    "/usr/share/fonts/dejavu",  # older Fedora, openSUSE
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",
    "/Library/Fonts",
)


class FontNotFoundError(RuntimeError):
    """The TrueType font for PDFs is not installed."""


def find_font(bold: bool = False) -> Path:
    """Path of DejaVu Sans (``bold``: DejaVu Sans Bold).

    Looks in ``$DOCFLOW_PDF_FONT_DIR`` first, then in the standard font folders of Debian and
    other systems. Raises :class:`FontNotFoundError` naming the Debian package when missing.
    """
    name = FONT_FILES[bool(bold)]
    dirs = [os.environ[FONT_ENV]] if os.environ.get(FONT_ENV) else []
    dirs.extend(FONT_DIRS)
    for folder in dirs:
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    raise FontNotFoundError(
        f"Font {name} not found in {', '.join(dirs)}. Install the Debian package "
        f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) or set {FONT_ENV} to a folder "
        f"holding {name}."
    )


def new_pdf(
    orientation: str = "P",
    format: str | tuple[float, float] = "A4",
    margins: tuple[float, float, float] = (15, 15, 15),
) -> FPDF:
    """An FPDF document with DejaVu regular and bold registered as ``FONT``."""
    pdf = FPDF(orientation=orientation, unit="mm", format=format)
    regular = find_font(False)
    try:
        bold = find_font(True)
    except FontNotFoundError:  # the regular face alone still prints every letter
        bold = regular
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_margins(*margins)
    pdf.set_auto_page_break(True, margin=15)
    return pdf
