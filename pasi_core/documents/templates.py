"""Document templates: TOML files a person can edit (wording in English and French, positions,
fonts, sizes), checked when they are loaded so that a mistake is a clear error at start-up, not a
broken PDF for 33,000 students.

The package's own templates are in ``templates/``; ``PASI_DOCUMENT_TEMPLATES`` names a folder whose
files of the same names replace them.
"""
from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pasi_core.kernel.errors import ConfigurationError

PACKAGE_TEMPLATES = Path(__file__).with_name("templates")
LANGUAGES = ("EN", "FR")
FONTS = ("sans", "sans-bold", "serif", "serif-bold")
ALIGNMENTS = ("left", "centre", "right")
PAGE_SIZES = {"letter": (612.0, 792.0), "a4": (595.28, 841.89)}

CREDENTIAL_FIELDS = frozenset({"credential_title", "awarded_name", "credential_number", "awarded_date", "asn"})
LETTER_FIELDS = CREDENTIAL_FIELDS | {"recipient_name", "address_block", "letter_date"}
DOCUMENTS = {"credential": CREDENTIAL_FIELDS, "first-run-letter": LETTER_FIELDS, "reprint-letter": LETTER_FIELDS}


@dataclass(frozen=True)
class TextBlock:
    x: float
    y: float
    align: str
    font: str
    size: float
    leading: float
    width: float | None
    wording: dict[str, str]


@dataclass(frozen=True)
class Template:
    name: str
    page_size: tuple[float, float]
    border: bool
    texts: tuple[TextBlock, ...]


@dataclass(frozen=True)
class TemplateSet:
    credential: Template
    first_run_letter: Template
    reprint_letter: Template
    titles: dict[tuple[str, str], str]
    """Credential titles by (Credential Type code, language)."""


def load_templates(folder: str | None = None) -> TemplateSet:
    """The package's templates, each replaced by a file of the same name in ``folder``."""
    def source(name: str) -> Path:
        if folder:
            candidate = Path(folder) / name
            if candidate.is_file():
                return candidate
        return PACKAGE_TEMPLATES / name

    if folder and not Path(folder).is_dir():
        raise ConfigurationError(f"PASI_DOCUMENT_TEMPLATES: {folder} is not a folder")
    templates = {name: _template(source(f"{name}.toml"), name, fields) for name, fields in DOCUMENTS.items()}
    return TemplateSet(templates["credential"], templates["first-run-letter"], templates["reprint-letter"],
                       _titles(source("titles.toml")))


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
        raise ConfigurationError(f"document template {path}: {problem}") from None


def _template(path: Path, name: str, fields: frozenset[str]) -> Template:
    data = _read(path)
    page = data.get("page", {})
    size = PAGE_SIZES.get(str(page.get("size", "letter")).lower())
    if size is None:
        raise ConfigurationError(f"document template {path}: [page] size must be one of {', '.join(PAGE_SIZES)}")
    orientation = page.get("orientation", "portrait")
    if orientation not in ("portrait", "landscape"):
        raise ConfigurationError(f"document template {path}: [page] orientation must be portrait or landscape")
    width, height = size if orientation == "portrait" else (size[1], size[0])
    texts = data.get("text", [])
    if not isinstance(texts, list) or not texts:
        raise ConfigurationError(f"document template {path}: it has no [[text]]")
    blocks = tuple(_block(path, number, entry, fields, (width, height)) for number, entry in enumerate(texts, 1))
    return Template(name, (width, height), bool(page.get("border", False)), blocks)


def _number(path: Path, where: str, entry: dict, key: str, default: float | None = None) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"document template {path}: {where}: {key} must be a number")
    return float(value)


def _block(path: Path, number: int, entry: dict, fields: frozenset[str], page: tuple[float, float]) -> TextBlock:
    where = f"text {number}"
    x, y = _number(path, where, entry, "x"), _number(path, where, entry, "y")
    if not (0 <= x <= page[0] and 0 <= y <= page[1]):
        raise ConfigurationError(f"document template {path}: {where}: x and y must be on the page")
    size = _number(path, where, entry, "size", 11)
    if not 4 <= size <= 96:
        raise ConfigurationError(f"document template {path}: {where}: size must be from 4 to 96 points")
    font, align = entry.get("font", "sans"), entry.get("align", "left")
    if font not in FONTS:
        raise ConfigurationError(f"document template {path}: {where}: font must be one of {', '.join(FONTS)}")
    if align not in ALIGNMENTS:
        raise ConfigurationError(f"document template {path}: {where}: align must be one of {', '.join(ALIGNMENTS)}")
    wording = {}
    for language in LANGUAGES:
        text = entry.get(language)
        if not isinstance(text, str) or not text.strip():
            raise ConfigurationError(f"document template {path}: {where}: the {language} wording is missing")
        _check_placeholders(path, where, language, text, fields)
        wording[language] = text
    width = entry.get("width")
    return TextBlock(x, y, align, font, size, _number(path, where, entry, "leading", size * 1.3),
                     None if width is None else _number(path, where, entry, "width"), wording)


def _check_placeholders(path: Path, where: str, language: str, text: str, fields: frozenset[str]) -> None:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as problem:
        raise ConfigurationError(f"document template {path}: {where} ({language}): {problem} "
                                 "(write {{ and }} for a brace)") from None
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in fields or spec or conversion:
            raise ConfigurationError(f"document template {path}: {where} ({language}): {{{field}}} is not one of "
                                     + ", ".join(f"{{{f}}}" for f in sorted(fields)))


def _titles(path: Path) -> dict[tuple[str, str], str]:
    data = _read(path)
    titles = {}
    for language, entries in data.items():
        if language not in LANGUAGES or not isinstance(entries, dict):
            raise ConfigurationError(f"document template {path}: sections are [EN] and [FR], not [{language}]")
        for code, title in entries.items():
            if not isinstance(title, str) or not title.strip():
                raise ConfigurationError(f"document template {path}: [{language}] {code} must be a title")
            titles[(code, language)] = title
    return titles
