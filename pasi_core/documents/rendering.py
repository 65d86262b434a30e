"""PDFs of credential documents with reportlab, from the templates (templates.py) and the DejaVu
fonts shipped in ``fonts/`` (embedded, subset, in every PDF: nothing depends on the printer's
fonts).

PDFs are rendered *invariant* (no creation time or random id inside), so the same item renders
to the same bytes: a re-run after an interruption rewrites an identical file.
"""
from __future__ import annotations

import io
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.colors import black
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from operations.credential_documents.model import (
    AUTOMATED_MAIL_JOB,
    CREDENTIAL,
    DESTINATIONS,
    FIRST_RUN_LETTER,
    REPRINT_LETTER,
    DocumentItem,
    Envelope,
    PrintJob,
)
from pasi_core.kernel.clock import PROVINCE_TIME_ZONE, local_date, local_time

from .templates import Template, TemplateSet

# Binary (compressed) streams instead of ASCII85 text: smaller files, and a third less time.
rl_config.useA85 = 0

FONT_FILES = {"sans": "DejaVuSans.ttf", "sans-bold": "DejaVuSans-Bold.ttf", "serif": "DejaVuSerif.ttf",
              "serif-bold": "DejaVuSerif-Bold.ttf"}
FONT_FOLDER = Path(__file__).with_name("fonts")
FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre")
ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December")


def _register_fonts() -> dict[str, str]:
    names = {}
    for key, file_name in FONT_FILES.items():
        name = f"Pasi-{file_name.removesuffix('.ttf')}"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(FONT_FOLDER / file_name)))
        names[key] = name
    return names


def long_date(day: date, language: str) -> str:
    if language == "FR":
        return f"{'1er' if day.day == 1 else day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"
    return f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"


def formatted_asn(asn: str) -> str:
    return f"{asn[:4]}-{asn[4:8]}-{asn[8:]}" if len(asn) == 9 and asn.isdigit() else asn


_worker_renderer: PdfRenderer | None = None


def _render_in_worker(templates: TemplateSet, time_zone: str, now: datetime,
                      items: Sequence[tuple[DocumentItem, str]]) -> list[dict[str, bytes]]:
    global _worker_renderer
    if _worker_renderer is None:
        _worker_renderer = PdfRenderer(templates, clock=lambda: now, time_zone=time_zone)
    return _worker_renderer.render_items(items, now)


class PdfRenderer:
    """:class:`operations.credential_documents.ports.DocumentRenderer` with reportlab.

    With ``workers`` above 1, a batch of items (:meth:`render_items`) is split over that many
    processes of its own (started once, on first use): rendering is what a documents round spends
    its time on, and the PDFs are the same bytes whichever process made them."""

    def __init__(self, templates: TemplateSet, *, clock: Callable[[], datetime],
                 time_zone: str = PROVINCE_TIME_ZONE, workers: int = 1):
        self._templates = templates
        self._clock = clock
        self._time_zone = time_zone
        self._fonts = _register_fonts()
        self._workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self.title_overrides = templates.titles

    def render_items(self, items: Sequence[tuple[DocumentItem, str]], now: datetime) -> list[dict[str, bytes]]:
        if self._workers == 1 or len(items) < 2 * self._workers:
            saved, self._clock = self._clock, (lambda: now)
            try:
                return [self.render_item(item, title) for item, title in items]
            finally:
                self._clock = saved
        if self._pool is None:
            # Spawned, not forked: the job runner has threads and database connections.
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"))
        share = -(-len(items) // self._workers)
        parts = [items[i:i + share] for i in range(0, len(items), share)]
        futures = [self._pool.submit(_render_in_worker, self._templates, self._time_zone, now, part)
                   for part in parts]
        return [files for future in futures for files in future.result()]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # --- one item -----------------------------------------------------------------------
    def render_item(self, item: DocumentItem, credential_title: str) -> dict[str, bytes]:
        values = self._values(item, credential_title)
        letter = self._templates.first_run_letter if item.first_run else self._templates.reprint_letter
        return {CREDENTIAL: self._single(self._templates.credential, values, item.language,
                                         f"{credential_title} {values['credential_number']}"),
                FIRST_RUN_LETTER if item.first_run else REPRINT_LETTER:
                    self._single(letter, values, item.language, f"Letter {values['credential_number']}")}

    def _single(self, template: Template, values: dict[str, str], language: str, title: str) -> bytes:
        buffer = io.BytesIO()
        canvas = self._canvas(buffer, title)
        self._page(canvas, template, values, language)
        canvas.save()
        return buffer.getvalue()

    # --- a print job --------------------------------------------------------------------
    def render_print_file(self, envelopes: Sequence[Envelope], titles: dict[tuple[str, str], str],
                          job_name: str) -> bytes:
        """Envelope by envelope: each item's letter (the print overlay in its margin: job,
        envelope sequence number, and OMR marks for the inserting machine), then its credential as
        many times as copies were ordered."""
        buffer = io.BytesIO()
        canvas = self._canvas(buffer, f"{job_name} documents")
        total = len(envelopes)
        for envelope in envelopes:
            for position, item in enumerate(envelope.items, 1):
                assert item.credential is not None
                values = self._values(item, titles[(item.credential.credential_type, item.language)])
                letter = self._templates.first_run_letter if item.first_run else self._templates.reprint_letter
                last_in_envelope = position == len(envelope.items)
                self._page(canvas, letter, values, item.language,
                           overlay=(job_name, envelope.sequence, total, item.copies, last_in_envelope))
                for _ in range(max(item.copies, 1)):
                    self._page(canvas, self._templates.credential, values, item.language)
        canvas.save()
        return buffer.getvalue()

    def render_instruction_sheet(self, job: PrintJob, envelopes: Sequence[Envelope]) -> bytes:
        buffer = io.BytesIO()
        canvas = self._canvas(buffer, f"{job.name} printer instructions")
        canvas.setPageSize((612, 792))
        sheets = sum(1 + max(i.copies, 1) for e in envelopes for i in e.items)
        credentials = sum(max(i.copies, 1) for e in envelopes for i in e.items)
        lines = [
            ("sans-bold", 16, f"Printer Instruction Sheet: {job.name}"),
            ("sans", 11, f"Created {self._local(job.created_utc)} (Mountain time)"),
            ("sans", 11, ""),
            ("sans-bold", 12, "Mail the envelopes to their recipients" if job.kind == AUTOMATED_MAIL_JOB
             else "Return every envelope to Student Records, Alberta Education (do not mail)"),
            ("sans", 11, "Insert a cardboard backing in every envelope." if job.kind == AUTOMATED_MAIL_JOB
             else "Special handling: Outstanding. Student Records delivers these by hand."),
            ("sans", 11, ""),
            ("sans", 11, f"Order items: {job.item_count}"),
            ("sans", 11, (f"Sheets: {sheets} ({credentials} on official credential paper, "
                          f"{sheets - credentials} letters on plain paper)")),
            ("sans", 11, f"Envelopes: {len(envelopes)}, numbered 1 to {len(envelopes)} in mailing order"),
        ]
        lines += [("sans", 11, f"    {destination}: {job.envelope_counts.get(destination, 0)}")
                  for destination in DESTINATIONS]
        lines += [("sans", 11, ""),
                  ("sans", 10, "Each letter carries its envelope's sequence number in its top margin and an OMR"),
                  ("sans", 10, "mark in its left margin; the letter of an envelope's last item has a second mark."),
                  ("sans", 10, f"File: {job.name}-documents.pdf; check it against {job.name}-manifest.json.")]
        y = 720.0
        for font, size, text in lines:
            canvas.setFont(self._fonts[font], size)
            canvas.drawString(72, y, text)
            y -= size * 1.6
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    # --- drawing ------------------------------------------------------------------------
    def _canvas(self, buffer: io.BytesIO, title: str) -> Canvas:
        canvas = Canvas(buffer, invariant=True, pageCompression=1)
        canvas.setTitle(title)
        canvas.setAuthor("Alberta Education")
        canvas.setCreator("PASI Core mirror")
        return canvas

    def _values(self, item: DocumentItem, credential_title: str) -> dict[str, str]:
        credential = item.credential
        assert credential is not None
        address = item.address.block() if item.address is not None else ()
        return {
            "credential_title": credential_title,
            "awarded_name": credential.awarded_name,
            "credential_number": credential.credential_number,
            "awarded_date": long_date(credential.awarded_on, item.language),
            "asn": formatted_asn(item.asn),
            "recipient_name": item.recipient_name or credential.awarded_name,
            "address_block": "\n".join(address),
            "letter_date": long_date(local_date(self._clock(), self._time_zone), item.language),
        }

    def _local(self, moment: datetime) -> str:
        return local_time(moment, self._time_zone).strftime("%Y-%m-%d %H:%M")

    def _page(self, canvas: Canvas, template: Template, values: dict[str, str], language: str,
              overlay: tuple[str, int, int, int, bool] | None = None) -> None:
        width, height = template.page_size
        canvas.setPageSize((width, height))
        canvas.setFillColor(black)
        if template.border:
            canvas.setLineWidth(2)
            canvas.rect(28, 28, width - 56, height - 56)
            canvas.setLineWidth(0.7)
            canvas.rect(36, 36, width - 72, height - 72)
        for block in template.texts:
            font = self._fonts[block.font]
            canvas.setFont(font, block.size)
            lines: list[str] = []
            for line in block.wording[language].format_map(values).split("\n"):
                lines.extend(simpleSplit(line, font, block.size, block.width) if block.width else [line])
            for number, line in enumerate(lines):
                y = block.y - number * block.leading
                if block.align == "centre":
                    canvas.drawCentredString(block.x, y, line)
                elif block.align == "right":
                    canvas.drawRightString(block.x, y, line)
                else:
                    canvas.drawString(block.x, y, line)
        if overlay is not None:
            self._overlay(canvas, height, *overlay)
        canvas.showPage()

    def _overlay(self, canvas: Canvas, height: float, job_name: str, sequence: int, total: int, copies: int,
                 last_in_envelope: bool) -> None:
        canvas.setFont(self._fonts["sans"], 7)
        canvas.drawRightString(590, height - 18, f"{job_name}  envelope {sequence:06d} of {total:06d}"
                                                 f"  credentials {copies}")
        # OMR: a start mark, and a second mark on the last sheet of an envelope (collate here).
        canvas.setLineWidth(1.5)
        canvas.line(10, height - 200, 26, height - 200)
        if last_in_envelope:
            canvas.line(10, height - 212, 26, height - 212)
