"""Proof-of-performance documents the product makes itself (demo data, tests): a real PDF."""

from __future__ import annotations

import io

from pypdf import PdfWriter


def blank_pdf(width: float = 595, height: float = 842) -> bytes:
    """A valid one-page PDF with nothing on it (A4 by default)."""
    writer = PdfWriter()
    writer.add_blank_page(width=width, height=height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
