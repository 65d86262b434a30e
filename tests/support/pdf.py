"""Reading PDFs the way a person checks them: their text (poppler's pdftotext), their page count
(pdfinfo) and pictures of their pages (pdftoppm)."""
from __future__ import annotations

import subprocess
from pathlib import Path


def text_of(path: str | Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True, timeout=120).stdout


def page_count(path: str | Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True, timeout=60).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def render_png(path: str | Path, out_prefix: str | Path, *, first: int = 1, last: int = 1, dpi: int = 60) -> list[Path]:
    out_prefix = Path(out_prefix)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(first), "-l", str(last), str(path),
                    str(out_prefix)], check=True, timeout=120)
    return sorted(out_prefix.parent.glob(out_prefix.name + "*.png"))
