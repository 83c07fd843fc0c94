"""Reading back the PDFs the server makes with poppler-utils (``pdftotext``, ``pdftoppm``),
as an office computer's viewer would: the text a person reads and the pages as images."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.services import unavailable


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} not found (apt-get install poppler-utils)")
    assert path is not None
    return path


def pdf_text(pdf: bytes) -> str:
    """The text of every page, column by column as read (``pdftotext``)."""
    run = subprocess.run(
        [_tool("pdftotext"), "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return run.stdout.decode("utf-8")


def pdf_pages(pdf: bytes, out_dir: Path, dpi: int = 60, stem: str = "page") -> list[Path]:
    """Each page as a PNG at ``dpi`` (``pdftoppm -r DPI -png``), in page order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    src = out_dir / f"{stem}.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        [_tool("pdftoppm"), "-r", str(dpi), "-png", str(src), str(out_dir / stem)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return sorted(out_dir.glob(f"{stem}-*.png"))
