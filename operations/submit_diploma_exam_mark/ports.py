"""What the SubmitDiplomaExamMark service layer needs from the store."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pasi_core.kernel.code_tables import CodeTables

from .book import MarkBook
from .changes import PlannedChange
from .model import StoredExamMark


class ExamMarkRepository(Protocol):
    def load_book(self, submitted: Sequence, codes: CodeTables) -> MarkBook:
        """Everything the batch's rules read, in a few set-based queries.  The
        students of the batch, and the sittings with a capacity that its
        active registrations name, are locked where the database needs it:
        concurrent batches on one student, or competing for one sitting's
        last places, serialize; nothing else does."""
        ...

    def save_changes(self, changes: Sequence[PlannedChange], *, updated_by: str, now: datetime,
                     originally_stored: dict[str, StoredExamMark],
                     original_fee_links: dict[str, str],
                     original_activity: dict[str, int]) -> None:
        """Write the final state of every mark, fee, link and request the batch touched."""
        ...
