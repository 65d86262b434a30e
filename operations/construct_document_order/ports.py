"""What the ConstructDocumentOrder service layer needs from the store."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from pasi_core.kernel.students import Student

from .model import CredentialFacts, DocumentOrder, StoredOrder


class DocumentOrderRepository(Protocol):
    def load_orders(self, order_ids: Iterable[int]) -> dict[int, StoredOrder]:
        """The stored orders named (locked for update where the database needs it)."""
        ...

    def load_students(self, asns: Iterable[str]) -> dict[str, Student]:
        """The students named (locked for update where the database needs it)."""
        ...

    def load_credentials(self, numbers: Iterable[str | None]) -> dict[str, CredentialFacts]: ...

    def existing_organizations(self, codes: Iterable[str | None]) -> frozenset[str]: ...

    def insert_orders(self, orders: Sequence[tuple[DocumentOrder, int]], *, updated_by: str,
                      now: datetime) -> list[int]:
        """Insert new (order, version) pairs with their items; the new order ids, in order."""
        ...

    def update_order(self, stored: StoredOrder, order: DocumentOrder, version: int, *,
                     updated_by: str, now: datetime) -> None:
        """Rewrite an order not yet Ordered: items left out are removed."""
        ...
