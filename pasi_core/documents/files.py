"""The documents folder (``PASI_DOCUMENTS_DIR``): item PDFs and print-job files, by relative path."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from operations.credential_documents.model import StoredFile
from pasi_core.kernel.errors import ConfigurationError


class DocumentFolder:
    """:class:`operations.credential_documents.ports.DocumentFiles` on a local folder.

    A write goes to a temporary file that is renamed into place: a reader (the screen, a
    delivery) never sees half a PDF, and a re-run replaces what an interrupted one left."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        if self.root.exists() and not self.root.is_dir():
            raise ConfigurationError(f"PASI_DOCUMENTS_DIR: {self.root} is not a folder")

    def _path(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"{relative!r} is outside the documents folder")
        return path

    def write(self, path: str, content: bytes, kind: str) -> StoredFile:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".writing-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return StoredFile(kind, path, hashlib.sha256(content).hexdigest(), len(content))

    def read(self, path: str) -> bytes:
        return self._path(path).read_bytes()

    def absolute(self, path: str) -> str:
        return str(self._path(path))
