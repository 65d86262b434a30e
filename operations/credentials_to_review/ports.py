"""What List Credentials to Review needs from the store."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .model import ReviewItem


class ReviewRepository(Protocol):
    def items(self, category: str) -> list[ReviewItem]:
        """Every credential in ``category``, by ASN and credential type."""
        ...

    def unordered_credentials(self, numbers: Sequence[str]) -> list[str]:
        """Those of ``numbers`` that are awarded, undeleted and on no undeleted order."""
        ...
