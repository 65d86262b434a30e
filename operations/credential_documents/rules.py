"""The checks and orderings of credential document production, as plain functions.

- :func:`document_errors`: the Credential Processing Agent's validation (reference §3.7);
- :func:`check_status_change`: PASIprep's Change Order Item Status (reference §3.5);
- :func:`mailing_order` and :func:`envelopes`: the Physical Print Job Processor's mailing order
  and its sequence number per destination envelope.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from pasi_core.kernel.errors import PasiError

from .model import (
    AUTOMATED_PLUS_CARDBOARD,
    CANADA,
    CANCELLED,
    DELIVERED_IN_ERROR,
    DESTINATIONS,
    FAILED_DELIVERY,
    ON_HOLD,
    ORDERED,
    REASON_GENERATION_ERROR,
    REASON_NO_ADDRESS,
    SENT,
    STATUS_LABELS,
    SYSTEM_HOLD,
    UNITED_STATES,
    DocumentError,
    DocumentItem,
    Envelope,
    MailingAddress,
)

NO_ADDRESS = "NoAddress"
NO_CREDENTIAL = "CredentialNotFound"
RESCINDED = "CredentialRescinded"
NO_TITLE = "NoCredentialTitle"


class DocumentStatusRefused(PasiError):
    """A status change Student Records asked for that PASI does not allow."""

    def __init__(self, message: str, *, from_status: str | None = None, to_status: str | None = None):
        super().__init__(message)
        self.from_status = from_status
        self.to_status = to_status


def address_is_complete(address: MailingAddress | None) -> bool:
    """Rule 60108's full address: street, city, province or state, postal code and country in
    Canada and the US; street and country elsewhere."""
    if address is None or not any(line.strip() for line in address.lines) or not (address.country or "").strip():
        return False
    if address.destination in (CANADA, UNITED_STATES):
        return all((part or "").strip() for part in (address.city, address.province_state, address.postal_code))
    return True


def document_errors(item: DocumentItem, *, title_known: bool) -> list[DocumentError]:
    """Why the item cannot be printed (empty when it can)."""
    errors = []
    if not address_is_complete(item.address):
        errors.append(DocumentError(NO_ADDRESS, "The recipient has no complete current mailing address."))
    if item.credential is None:
        errors.append(DocumentError(NO_CREDENTIAL, "The order item names no awarded credential."))
    elif item.credential.is_deleted:
        errors.append(DocumentError(RESCINDED, "The credential was rescinded after it was ordered."))
    elif not title_known:
        errors.append(DocumentError(NO_TITLE, f"The credential type {item.credential.credential_type} has no "
                                              f"title in the document language {item.language}."))
    return errors


def hold_reason(errors: Sequence[DocumentError]) -> str:
    """The Status Change Reason of an item put on System Hold."""
    return REASON_NO_ADDRESS if any(e.code == NO_ADDRESS for e in errors) else REASON_GENERATION_ERROR


def returned_to_student_records(delivery_method: str) -> bool:
    """Printed and returned to Student Records for manual delivery (special handling)."""
    return delivery_method != AUTOMATED_PLUS_CARDBOARD


MANUAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ORDERED: (CANCELLED, ON_HOLD),
    ON_HOLD: (CANCELLED, ORDERED),
    SYSTEM_HOLD: (CANCELLED, ORDERED),
    SENT: (FAILED_DELIVERY, DELIVERED_IN_ERROR),
    FAILED_DELIVERY: (DELIVERED_IN_ERROR,),
    DELIVERED_IN_ERROR: (FAILED_DELIVERY,),
}


def allowed_changes(status: str) -> tuple[str, ...]:
    return MANUAL_TRANSITIONS.get(status, ())


def check_status_change(current: str, target: str) -> None:
    """Refuse a change Change Order Item Status does not offer, saying what it does offer."""
    label = STATUS_LABELS.get(target)
    if label is None:
        raise DocumentStatusRefused(f"{target!r} is not an Order Item Status.", to_status=target)
    allowed = allowed_changes(current)
    if target in allowed:
        return
    current_label = STATUS_LABELS.get(current, current)
    if not allowed:
        raise DocumentStatusRefused(f"An item with the status {current_label} cannot be changed by hand.",
                                    from_status=current, to_status=target)
    raise DocumentStatusRefused(
        f"An item with the status {current_label} can be changed to "
        f"{' or '.join(STATUS_LABELS[s] for s in allowed)} only, not to {label}.",
        from_status=current, to_status=target)


def mailing_order(items: Iterable[DocumentItem]) -> list[DocumentItem]:
    """Canada, then the United States, then elsewhere; by country, province, postal code and
    recipient; so that copies for one address end up side by side."""
    def key(item: DocumentItem):
        address = item.address
        assert address is not None  # only printable items reach the print job
        return (DESTINATIONS.index(address.destination), (address.country or "").casefold(),
                (address.province_state or "").casefold(), (address.postal_code or "").replace(" ", "").upper(),
                (address.city or "").casefold(), tuple(line.casefold() for line in address.lines),
                (item.recipient_name or "").casefold(), item.key.order_id, item.key.item_number)
    return sorted(items, key=key)


def envelopes(ordered: Sequence[DocumentItem]) -> list[Envelope]:
    """Sequence numbers per destination envelope: neighbours in mailing order with the same
    recipient and address share one envelope, so the last number is the envelope count."""
    result: list[Envelope] = []
    current: list[DocumentItem] = []
    for item in ordered:
        if current and not _same_envelope(current[0], item):
            result.append(_envelope(len(result) + 1, current))
            current = []
        current.append(item)
    if current:
        result.append(_envelope(len(result) + 1, current))
    return result


def envelope_counts(envelope_list: Iterable[Envelope]) -> dict[str, int]:
    counts = dict.fromkeys(DESTINATIONS, 0)
    for envelope in envelope_list:
        counts[envelope.destination] += 1
    return counts


def _same_envelope(first: DocumentItem, item: DocumentItem) -> bool:
    assert first.address is not None and item.address is not None
    return (" ".join((first.recipient_name or "").split()).casefold()
            == " ".join((item.recipient_name or "").split()).casefold()
            and first.address.same_place(item.address))


def _envelope(sequence: int, items: list[DocumentItem]) -> Envelope:
    assert items[0].address is not None
    return Envelope(sequence, items[0].address.destination, tuple(items))
