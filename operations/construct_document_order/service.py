"""The service layer of ConstructDocumentOrder: all or nothing per order.

The SOAP operation sends one order; the bulk award-and-order run sends many
at once through :func:`construct_orders`, each order still standing or
falling on its own.  Runs inside the caller's unit of work.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from operations.unit_of_work import UnitOfWork, allocate
from pasi_core.kernel.caller import Caller
from pasi_core.kernel.rejections import Rejection, reject_all

from .model import DocumentOrder
from .rules import OrderCheck, check_order


@dataclass(frozen=True)
class OrderOutcome:
    order_id: int
    """The order's id (new or existing); 0 when a new order was refused."""
    version: int
    rejections: tuple[Rejection, ...] = ()

    @property
    def saved(self) -> bool:
        return not self.rejections


def construct_orders(uow: UnitOfWork, caller: Caller, orders: Sequence[DocumentOrder], *,
                     now: datetime) -> list[OrderOutcome]:
    """Check and save orders; one outcome per order."""
    repository = uow.document_orders
    items = [item for order in orders for item in order.items]
    stored_orders = repository.load_orders(o.order_id for o in orders)
    students = repository.load_students({item.asn for item in items})
    credentials = repository.load_credentials({item.credential_number for item in items})
    organizations = repository.existing_organizations(
        {o.education_account_organization for o in orders})
    codes = uow.code_tables.load()
    accepted: list[tuple[int, DocumentOrder]] = []
    outcomes: list[OrderOutcome | None] = []
    ordered_now: dict[str, int] = {}
    for index, order in enumerate(orders):
        # This order's credentials, counting orders accepted earlier in the batch (44017).
        seen = {item.credential_number: replace(credentials[item.credential_number],
                                                already_ordered_in=ordered_now.get(
                                                    item.credential_number,
                                                    credentials[item.credential_number].already_ordered_in))
                for item in order.items
                if item.credential_number and item.credential_number in credentials}
        violations = check_order(OrderCheck(order, stored_orders.get(order.order_id), students, seen,
                                            organizations, codes))
        if violations:
            outcomes.append(OrderOutcome(order.order_id if order.order_id in stored_orders else 0,
                                         0, reject_all(violations)))
            continue
        for item in order.items:
            if item.credential_number:
                ordered_now[item.credential_number] = order.order_id or -(index + 1)
        accepted.append((index, order))
        outcomes.append(None)
    versions = iter(allocate(uow.versions, len(accepted)))
    new = [(index, order, next(versions)) for index, order in accepted if not order.order_id]
    existing = [(index, order, next(versions)) for index, order in accepted if order.order_id]
    new_ids = repository.insert_orders([(order, version) for _, order, version in new],
                                       updated_by=caller.organization_code, now=now)
    for (index, _, version), order_id in zip(new, new_ids, strict=True):
        outcomes[index] = OrderOutcome(order_id, version)
    for index, order, version in existing:
        repository.update_order(stored_orders[order.order_id], order, version,
                                updated_by=caller.organization_code, now=now)
        outcomes[index] = OrderOutcome(order.order_id, version)
    return [outcome for outcome in outcomes if outcome is not None]


def construct_document_order(uow: UnitOfWork, caller: Caller, order: DocumentOrder, *,
                             now: datetime) -> OrderOutcome:
    (outcome,) = construct_orders(uow, caller, [order], now=now)
    return outcome
