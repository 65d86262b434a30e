"""The rules of ConstructDocumentOrder, one function per rule number.

The order is all or nothing: every rule runs and any violation refuses the
whole order.  Rule 60108 (an address for physical delivery) is exempt for
credential documents: their orders are created even without an address and
the Credential Processing Agent holds them later (reference §3.3).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from pasi_core.kernel import credential_numbers
from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.rejections import Violation
from pasi_core.kernel.students import Student, is_well_formed_asn

from .model import (
    CREDENTIAL_CATEGORY,
    MAXIMUM_COPIES,
    MAXIMUM_ORDER_AMOUNT,
    ORDERED,
    PAYMENT_PENDING,
    TRANSCRIPT_CATEGORY,
    CredentialFacts,
    DocumentOrder,
    OrderItem,
    StoredOrder,
)

DOCUMENT_TYPE = "DocumentType"
DELIVERY_METHOD = "DeliveryMethod"
DOCUMENT_LANGUAGE = "DocumentLanguage"
ORDER_STATUS = "OrderStatus"
ORDER_RECEIVED_METHOD = "OrderReceivedMethod"
CREDENTIAL_TYPE = "CredentialType"


@dataclass(frozen=True)
class OrderCheck:
    order: DocumentOrder
    stored: StoredOrder | None
    students: Mapping[str, Student]
    credentials: Mapping[str, CredentialFacts]
    organizations: frozenset[str]
    codes: CodeTables

    def items(self) -> Iterator[tuple[str, OrderItem]]:
        for position, item in enumerate(self.order.items):
            yield f"DocumentOrderItems[{position}]", item

    def category(self, document_type: str) -> str | None:
        return self.codes.attribute(DOCUMENT_TYPE, document_type, "Category")


def rule_60400_unknown_document_order(check: OrderCheck) -> Iterator[Violation]:
    if check.order.order_id and check.stored is None:
        yield Violation(60400, {"Document Order ID": check.order.order_id}, "DocumentOrderId")


def rule_3004_version_mismatch(check: OrderCheck) -> Iterator[Violation]:
    """The stored version on update; a logically deleted order also accepts 0 and reports
    its core version as 0 (rule_3004.html: it applies to all services that update data)."""
    stored = check.stored
    if stored is None:
        return
    deleted = stored.order.is_deleted
    accepted = (stored.order.version, 0) if deleted else (stored.order.version,)
    if check.order.version not in accepted:
        yield Violation(3004, {"PASICoreVersion_core": 0 if deleted else stored.order.version,
                               "PASICoreVersion_client": check.order.version}, "PASICoreVersion")


def rule_60113_ordered_order_cannot_change(check: OrderCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is not None and stored.order.order_status == ORDERED and not check.order.is_deleted:
        yield Violation(60113, {}, "OrderStatus")


def rule_60114_ordered_order_cannot_be_deleted(check: OrderCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is not None and stored.order.order_status == ORDERED and check.order.is_deleted:
        yield Violation(60114, {}, "IsDeleted")


def rule_60112_payment_pending_changes(check: OrderCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is None or stored.order.order_status != PAYMENT_PENDING:
        return
    def fixed(order: DocumentOrder):
        """Everything but the order status, payment transaction, placed date and amounts."""
        return (replace(order, order_status="", payment_transaction_id=None, order_placed_utc=None,
                        version=0, items=()),
                sorted((replace(i, amount_collected=Decimal(0), item_number=i.item_number or 0) for i in order.items),
                       key=lambda i: (i.item_number, i.asn)))

    if fixed(stored.order) != fixed(check.order):
        yield Violation(60112, {})


def rule_9023_empty_update(check: OrderCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is not None and check.order.same_content_as(stored.order):
        yield Violation(9023, {})


def rule_60130_missing_items(check: OrderCheck) -> Iterator[Violation]:
    if not check.order.is_deleted and not check.order.items:
        yield Violation(60130, {}, "DocumentOrderItems")


def rule_99032_unknown_order_codes(check: OrderCheck) -> Iterator[Violation]:
    for table, name, value in ((ORDER_STATUS, "OrderStatus", check.order.order_status),
                               (ORDER_RECEIVED_METHOD, "OrderReceivedMethod",
                                check.order.order_received_method)):
        if not check.codes.has(table, value):
            yield Violation(99032, {"Field": name, "Code": value}, name)


def rule_9019_unknown_organization(check: OrderCheck) -> Iterator[Violation]:
    code = check.order.education_account_organization
    if code is not None and code not in check.organizations:
        yield Violation(9019, {"OrganizationCode": code}, "EducationAccountOrganization")


def rule_60111_missing_payment_transaction(check: OrderCheck) -> Iterator[Violation]:
    order = check.order
    if (order.order_status == ORDERED and order.total_amount > 0
            and not order.payment_transaction_id):
        yield Violation(60111, {}, "PaymentTransactionId")


def rule_60125_order_amount_exceeds_maximum(check: OrderCheck) -> Iterator[Violation]:
    if check.order.total_amount > MAXIMUM_ORDER_AMOUNT:
        yield Violation(60125, {"Maximum": MAXIMUM_ORDER_AMOUNT}, "DocumentOrderItems")


# --- items --------------------------------------------------------------------------------
def rule_9002_invalid_asn(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        if not is_well_formed_asn(item.asn) or item.asn not in check.students:
            yield Violation(9002, {"StateProvinceId": item.asn}, f"{path}.StateProvinceId")


def rule_9009_deactivated_asn(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        student = check.students.get(item.asn)
        if student is not None and student.is_deactivated:
            yield Violation(9009, {"StateProvinceId": item.asn}, f"{path}.StateProvinceId")


def rule_99030_unknown_item_codes(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        for table, name, value in ((DOCUMENT_TYPE, "DocumentType", item.document_type),
                                   (DOCUMENT_LANGUAGE, "DocumentLanguage", item.document_language)):
            if not check.codes.has(table, value):
                yield Violation(99030, {"Field": name, "Code": value}, f"{path}.{name}")


def rule_60107_invalid_delivery_method(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        if not check.codes.has(DELIVERY_METHOD, item.delivery_method):
            yield Violation(60107, {"DeliveryMethod": item.delivery_method},
                            f"{path}.DocumentDeliveryMethod")


def rule_60108_missing_recipient(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        physical = check.codes.attribute(DELIVERY_METHOD, item.delivery_method, "Physical", False)
        if (physical and not item.has_address
                and check.category(item.document_type) != CREDENTIAL_CATEGORY):
            yield Violation(60108, {"DeliveryMethod": item.delivery_method}, f"{path}.AddressLines")


def rule_60109_attributes_for_document_type(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        category = check.category(item.document_type)
        if item.credential_number and category != CREDENTIAL_CATEGORY:
            yield Violation(60109, {}, f"{path}.CredentialNumber")
        elif item.provided_consent_for_school_release is not None and category != TRANSCRIPT_CATEGORY:
            yield Violation(60109, {}, f"{path}.ProvidedConsentForSchoolRelease")


def rule_44020_unknown_credential_number(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        if item.credential_number:
            facts = check.credentials.get(item.credential_number)
            if facts is None or facts.is_deleted:
                yield Violation(44020, {}, f"{path}.CredentialNumber")


def rule_99033_credential_of_another_student_or_type(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        facts = check.credentials.get(item.credential_number or "")
        if facts is None or facts.is_deleted:
            continue
        expected = check.codes.attribute(CREDENTIAL_TYPE, facts.credential_type, "DocumentType")
        if facts.asn != item.asn or (expected is not None and expected != item.document_type):
            yield Violation(99033, {"CredentialNumber": item.credential_number},
                            f"{path}.CredentialNumber")


def rule_44017_credential_already_ordered(check: OrderCheck) -> Iterator[Violation]:
    """Only a first-time order is placed for Student Records (PASIprep); more copies are
    myPass reprint orders, placed from an education account, to which 44017 does not apply."""
    if check.order.is_placed_from_an_education_account:
        return
    for path, item in check.items():
        facts = check.credentials.get(item.credential_number or "")
        if (facts is not None and facts.already_ordered_in is not None
                and facts.already_ordered_in != check.order.order_id):
            yield Violation(44017, {}, f"{path}.CredentialNumber")


def rule_99035_credential_twice_in_one_order(check: OrderCheck) -> Iterator[Violation]:
    seen: set[str] = set()
    for path, item in check.items():
        if item.credential_number and item.credential_number in seen:
            yield Violation(99035, {"CredentialNumber": credential_numbers.display(item.credential_number)},
                            f"{path}.CredentialNumber")
        if item.credential_number:
            seen.add(item.credential_number)


def rule_99036_credential_item_without_number(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        if check.category(item.document_type) == CREDENTIAL_CATEGORY and not item.credential_number:
            yield Violation(99036, {"DocumentType": item.document_type}, f"{path}.CredentialNumber")


def rule_99034_number_of_copies(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        if not 1 <= item.number_of_copies <= MAXIMUM_COPIES:
            yield Violation(99034, {"Copies": item.number_of_copies, "Maximum": MAXIMUM_COPIES},
                            f"{path}.NumberOfCopies")


def rule_60101_invalid_control_schedule(check: OrderCheck) -> Iterator[Violation]:
    for path, item in check.items():
        if item.control_schedule_id is not None:
            yield Violation(60101, {"ControlScheduleId": item.control_schedule_id},
                            f"{path}.OperationControlScheduleId")


def rule_60115_unknown_item_number(check: OrderCheck) -> Iterator[Violation]:
    known = set(check.stored.item_statuses) if check.stored else set()
    for path, item in check.items():
        if item.item_number and item.item_number not in known:
            yield Violation(60115, {}, f"{path}.DocumentOrderItemNumber")


RULES: tuple[Callable[[OrderCheck], Iterable[Violation]], ...] = (
    rule_60400_unknown_document_order,
    rule_3004_version_mismatch,
    rule_60113_ordered_order_cannot_change,
    rule_60114_ordered_order_cannot_be_deleted,
    rule_60112_payment_pending_changes,
    rule_99032_unknown_order_codes,
    rule_9019_unknown_organization,
    rule_60130_missing_items,
    rule_60115_unknown_item_number,
    rule_9002_invalid_asn,
    rule_9009_deactivated_asn,
    rule_99030_unknown_item_codes,
    rule_60107_invalid_delivery_method,
    rule_60108_missing_recipient,
    rule_60109_attributes_for_document_type,
    rule_44020_unknown_credential_number,
    rule_99033_credential_of_another_student_or_type,
    rule_44017_credential_already_ordered,
    rule_99035_credential_twice_in_one_order,
    rule_99036_credential_item_without_number,
    rule_99034_number_of_copies,
    rule_60101_invalid_control_schedule,
    rule_60111_missing_payment_transaction,
    rule_60125_order_amount_exceeds_maximum,
    rule_9023_empty_update,
)


def check_order(check: OrderCheck) -> list[Violation]:
    return [violation for rule in RULES for violation in rule(check)]
