"""The key that signs the Student Records session cookies, kept in a file when it is not given
(PASI_SECRET_KEY): every worker and every restart must use the same one."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from pasi_core.kernel.errors import ConfigurationError


def load_or_create(path: str) -> str:
    file = Path(path)
    if file.exists():
        key = file.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise ConfigurationError(f"{path}: the secret key is too short; delete the file to make a new one")
        return key
    file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key
