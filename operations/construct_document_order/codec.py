"""XML <-> plain data for ConstructDocumentOrder."""
from __future__ import annotations

from typing import Any

from lxml import etree

from pasi_core.contract import namespaces
from pasi_core.contract.codec import (
    CallerFacts,
    add_rejections,
    parse_decimal,
    parse_xsd_boolean,
    parse_xsd_datetime,
    read_caller_info,
    sub,
    text_of,
)
from pasi_core.kernel.caller import normalize_organization_code

from .model import DocumentOrder, OrderItem
from .service import OrderOutcome

_Y = f"{{{namespaces.PASI_SYSTEM}}}"

_ORDER_TEXT = {"OrderReceivedMethod": "order_received_method", "OrderStatus": "order_status",
               "RequestorName": "requestor_name",
               "EducationAccountIdentifier": "education_account_identifier",
               "PaymentMethod": "payment_method", "PaymentTransactionId": "payment_transaction_id"}
_ORDER_NUMBERS = {"DocumentOrderId": "order_id", "PASICoreVersion": "version",
                  "BillingInformationId": "billing_information_id"}
_ITEM_TEXT = {"DocumentType": "document_type", "DocumentDeliveryMethod": "delivery_method",
              "DocumentLanguage": "document_language", "ProcessExpectation": "process_expectation",
              "RecipientName": "recipient_name", "CityName": "city",
              "StateProvinceCode": "province_state", "PostalCode": "postal_code",
              "CountryName": "country", "FaxNumber": "fax_number"}
_ITEM_NUMBERS = {"NumberOfCopies": "number_of_copies",
                 "OperationControlScheduleId": "control_schedule_id"}
_ITEM_BOOLEANS = {"RecipientIsStudent": "recipient_is_student",
                  "ProvidedConsentForSchoolRelease": "provided_consent_for_school_release"}
# Accepted and not stored (docs/credentials.md).
_ITEM_IGNORED = {"EducationAccountConnectionId", "RecipientClientId"}


def read_request(operation: etree._Element) -> tuple[CallerFacts, DocumentOrder]:
    request = operation[0]
    caller = None
    fields: dict[str, Any] = {"items": ()}
    for child in request:
        tag = etree.QName(child).localname
        if tag == "CallerInfo":
            caller = read_caller_info(child)
        elif tag in _ORDER_TEXT:
            fields[_ORDER_TEXT[tag]] = text_of(child)
        elif tag in _ORDER_NUMBERS:
            fields[_ORDER_NUMBERS[tag]] = int(text_of(child))
        elif tag == "IsDeleted":
            fields["is_deleted"] = parse_xsd_boolean(text_of(child))
        elif tag == "OrderPlacedUtcTime":
            fields["order_placed_utc"] = parse_xsd_datetime(text_of(child))
        elif tag == "EducationAccountOrganization":
            fields["education_account_organization"] = normalize_organization_code(text_of(child))
        elif tag == "DocumentOrderItems":
            fields["items"] = tuple(_read_item(item) for item in child)
    assert caller is not None  # the schema requires CallerInfo
    return caller, DocumentOrder(**fields)


def _read_item(element: etree._Element) -> OrderItem:
    fields: dict[str, Any] = {}
    for child in element:
        tag = etree.QName(child).localname
        if tag in _ITEM_TEXT:
            fields[_ITEM_TEXT[tag]] = text_of(child)
        elif tag in _ITEM_NUMBERS:
            fields[_ITEM_NUMBERS[tag]] = int(text_of(child))
        elif tag in _ITEM_BOOLEANS:
            fields[_ITEM_BOOLEANS[tag]] = parse_xsd_boolean(text_of(child))
        elif tag == "DocumentOrderItemNumber":
            fields["item_number"] = int(text_of(child)) or None
        elif tag == "StateProvinceId":
            fields["asn"] = text_of(child).strip()
        elif tag == "CredentialNumber":
            fields["credential_number"] = text_of(child).replace("-", "")
        elif tag == "AmountCollected":
            fields["amount_collected"] = parse_decimal(text_of(child))
        elif tag == "AddressLines":
            fields["address_lines"] = tuple(text_of(line) for line in child)
        elif tag not in _ITEM_IGNORED:
            raise ValueError(f"unexpected element {tag}")
    return OrderItem(**fields)


def canonical(order: DocumentOrder) -> list:
    """The order as its replay hash sees it: every field, in a fixed order."""
    return [order.order_id, order.version, order.billing_information_id,
            order.order_received_method, order.order_status, order.is_deleted,
            order.requestor_name, order.order_placed_utc.isoformat() if order.order_placed_utc else None,
            order.education_account_identifier, order.education_account_organization,
            order.payment_method, order.payment_transaction_id,
            [[i.item_number, i.asn, i.document_type, i.credential_number, i.delivery_method,
              i.document_language, i.process_expectation, i.number_of_copies,
              str(i.amount_collected), i.recipient_is_student, i.recipient_name,
              list(i.address_lines), i.city, i.province_state, i.postal_code, i.country,
              i.fax_number, i.control_schedule_id, i.provided_consent_for_school_release]
             for i in order.items]]


def render(message_id: str, outcome: OrderOutcome) -> etree._Element:
    response = etree.Element(_Y + "ConstructDocumentOrderResponse")
    result = sub(response, _Y + "ConstructDocumentOrderResult")
    sub(result, _Y + "MessageID", message_id)
    sub(result, _Y + "DocumentOrderId", outcome.order_id)
    sub(result, _Y + "PASICoreVersion", outcome.version)
    add_rejections(result, outcome.rejections, namespaces.PASI_SYSTEM)
    return response
