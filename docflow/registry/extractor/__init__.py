"""The text-extraction worker: the part of the pipeline that touches untrusted files.

It always runs in a child process started by :func:`docflow.registry.extraction.extract`, under
memory/CPU/file-size limits, and prints one JSON object on stdout (:mod:`.worker`), normally in
a child forked by the zygote (:mod:`.zygote`), which has the libraries imported already and
never parses a file itself.

This package must stay importable without Flask or the ``docflow`` package: the parent puts
``docflow/registry`` on ``sys.path`` of an isolated interpreter (``python -I -S``, to keep the
start-up cheap) and imports it as the top-level package ``extractor``. Its modules therefore
import each other relatively and never import ``docflow``; they import the heavy libraries
(pypdfium2, Pillow, lxml) only when a file needs them.

- :mod:`.common` limits, type detection, the refusal exception, text clean-up
- :mod:`.job` the state of one extraction: pages, the clock, warnings
- :mod:`.pdf` the PDF text layer, its quality check, the page preview, rendering for OCR
- :mod:`.ocr` preparing an image and running ``tesseract`` on it
- :mod:`.imaging` grayscale/white flattening and the PNG preview encoders
- :mod:`.images` PNG, JPEG and TIFF files (every page is OCR'd)
- :mod:`.office` DOCX files (ZIP and XML checks, the text of ``word/document.xml``)
- :mod:`.worker` the entry point: ``run()`` one file, emit JSON, the rlimits
- :mod:`.zygote` the pre-forked server that forks one child per file

Choices below were measured on the samples in ``tests/registry/data``:

- PDF text layer: pypdfium2 (≈1 ms/page; pdfplumber gives the same text ≈20× slower).
- OCR input: grayscale + 3×3 median filter (removes scanner speckle: 7/8 → 8/8 words on the
  image-only PDF, 8/9 → 9/9 on the photo; harmless on clean pages), images under 1400 px on the
  long side upscaled 2× first (faster and as accurate on small photos), fed to ``tesseract`` as
  PGM on stdin (PNG encoding of a noisy page costs ≈0.4 s).
- Image-only PDF pages are rendered at the resolution of their scan (clamped to 150–300 dpi)
  rather than a fixed 300 dpi: upsampled speckle hurts OCR and costs time.
"""
