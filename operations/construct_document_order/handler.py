"""The unit of work of ConstructDocumentOrder: all or nothing per order.

The SOAP operation sends one order; the bulk award-and-order run sends many
at once through :func:`construct_orders_in`, each order still standing or
falling on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session, sessionmaker

from pasi_core.caller import Caller
from pasi_core.rejections import Rejection, reject
from persistence import document_order_repository as repository
from persistence.code_tables import load_code_tables
from persistence.replay import Idempotency, Replayed, run_once
from persistence.versions import allocate_versions

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


def construct_document_order(session_factory: sessionmaker[Session], caller: Caller,
                             order: DocumentOrder, *, now: datetime,
                             idempotency: Idempotency | None = None) -> OrderOutcome | Replayed:
    return run_once(session_factory, idempotency,
                    lambda uow: construct_orders_in(uow.session, caller, [order], now=now,
                                                    lock=uow.is_postgresql)[0], now)


def construct_orders_in(session: Session, caller: Caller, orders: Sequence[DocumentOrder], *,
                        now: datetime, lock: bool) -> list[OrderOutcome]:
    """Check and save orders inside an open transaction; one outcome per order."""
    items = [item for order in orders for item in order.items]
    stored_orders = repository.load_orders(session, (o.order_id for o in orders), lock=lock)
    students = repository.load_students(session, {item.asn for item in items}, lock=lock)
    credentials = repository.load_credentials(session, {item.credential_number for item in items})
    organizations = repository.existing_organizations(
        session, {o.education_account_organization for o in orders})
    codes = load_code_tables(session)
    accepted: list[tuple[int, DocumentOrder]] = []
    outcomes: list[OrderOutcome | None] = []
    ordered_now: dict[str, int] = {}
    for index, order in enumerate(orders):
        # This order's credentials, counting orders accepted earlier in the batch (44017).
        seen = {item.credential_number: replace(credentials[item.credential_number],
                                                already_ordered_in=ordered_now.get(
                                                    item.credential_number,
                                                    credentials[item.credential_number].already_ordered_in))
                for item in order.items if item.credential_number in credentials}
        violations = check_order(OrderCheck(order, stored_orders.get(order.order_id), students, seen,
                                            organizations, codes))
        if violations:
            outcomes.append(OrderOutcome(order.order_id if order.order_id in stored_orders else 0, 0,
                                         tuple(reject(v.rule_id, v.params, v.path) for v in violations)))
            continue
        for item in order.items:
            if item.credential_number:
                ordered_now[item.credential_number] = order.order_id or -(index + 1)
        accepted.append((index, order))
        outcomes.append(None)
    versions = iter(allocate_versions(session, len(accepted)))
    new = [(index, order, next(versions)) for index, order in accepted if not order.order_id]
    existing = [(index, order, next(versions)) for index, order in accepted if order.order_id]
    new_ids = repository.insert_orders(session, [(order, version) for _, order, version in new],
                                       updated_by=caller.organization_code, now=now)
    for (index, _, version), order_id in zip(new, new_ids):
        outcomes[index] = OrderOutcome(order_id, version)
    for index, order, version in existing:
        repository.update_order(session, stored_orders[order.order_id], order, version,
                                updated_by=caller.organization_code, now=now)
        outcomes[index] = OrderOutcome(order.order_id, version)
    return outcomes
