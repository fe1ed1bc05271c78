"""The state of one extraction: the pages collected so far, the clock, warnings."""

from __future__ import annotations

import os
import time

from .common import Limits, Refused


class Job:
    """One file being extracted; the extractors add pages to it, the entry point reports it."""

    def __init__(self, path: str, limits: Limits, preview: str | None) -> None:
        self.path = path
        self.limits = limits
        self.preview = preview
        self.start = time.monotonic()
        self.kind = "other"
        self.pages: list[str] = []
        self.page_count: int | None = None
        self.ocr_pages = 0
        self.ocr_failures = 0
        self.chars = 0
        self.truncated = False
        self.warnings: list[str] = []
        self.preview_written = False

    # time -----------------------------------------------------------------------------------
    def remaining(self) -> float:
        return self.limits.wall_seconds * 0.9 - (time.monotonic() - self.start)

    def check_time(self, done_pages: int) -> None:
        """Stop (keeping the pages done so far) before the parent's hard limits strike."""
        usage = os.times()
        cpu = usage.user + usage.system
        if self.remaining() < 1 or cpu > self.limits.cpu_seconds * 0.9:
            total = self.page_count or done_pages
            raise Refused(
                "timeout",
                f"Processing took too long and was stopped after {done_pages} of {total} pages.",
            )

    # pages ----------------------------------------------------------------------------------
    def add_page(self, text: str) -> None:
        room = self.limits.max_text_chars - self.chars
        if len(text) > room:
            text = text[: max(room, 0)]
            if not self.truncated:
                self.truncated = True
                self.warnings.append(
                    f"The text was cut at {self.limits.max_text_chars} characters."
                )
        self.chars += len(text)
        self.pages.append(text)
