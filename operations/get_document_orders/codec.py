"""Plain data -> XML for GetDocumentOrders (the request is read as GetStudentCredentials')."""
from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from operations.get_student_credentials.model import OrderRecord, StudentAnswer
from pasi_core.contract import namespaces
from pasi_core.contract.codec import add_rejections, sub, utc_text

_Y = f"{{{namespaces.PASI_SYSTEM}}}"


def render(message_id: str, answers: Sequence[StudentAnswer]) -> etree._Element:
    response = etree.Element(_Y + "GetDocumentOrdersResponse")
    result = sub(response, _Y + "GetDocumentOrdersResult")
    sub(result, _Y + "MessageID", message_id)
    students = sub(result, _Y + "Students")
    for answer in answers:
        student = sub(students, _Y + "StudentDocumentOrders")
        sub(student, _Y + "StateProvinceId", answer.asn)
        add_rejections(student, answer.rejections, namespaces.PASI_SYSTEM)
        orders = sub(student, _Y + "DocumentOrders")
        for order in answer.orders:
            _render_order(sub(orders, _Y + "DocumentOrdersGetInfo"), order)
    return response


def _render_order(element: etree._Element, order: OrderRecord) -> None:
    sub(element, _Y + "DocumentOrderId", order.order_id)
    sub(element, _Y + "OrderStatus", order.order_status)
    sub(element, _Y + "OrderReceivedMethod", order.order_received_method)
    sub(element, _Y + "BillingInformationId", order.billing_information_id)
    if order.requestor_name is not None:
        sub(element, _Y + "RequestorName", order.requestor_name)
    if order.order_placed_utc is not None:
        sub(element, _Y + "OrderPlacedUtcTime", utc_text(order.order_placed_utc))
    sub(element, _Y + "LastUpdateUtcTime", utc_text(order.updated_utc))
    sub(element, _Y + "PASICoreVersion", order.version)
    items = sub(element, _Y + "DocumentOrderItems")
    for item in order.items:
        info = sub(items, _Y + "DocumentOrdersGetResponseItem")
        sub(info, _Y + "DocumentOrderItemNumber", item.item_number)
        sub(info, _Y + "StateProvinceId", item.asn)
        sub(info, _Y + "DocumentType", item.document_type)
        if item.credential_number is not None:
            sub(info, _Y + "CredentialNumber", item.credential_number)
        sub(info, _Y + "DocumentDeliveryMethod", item.delivery_method)
        sub(info, _Y + "DocumentLanguage", item.document_language)
        sub(info, _Y + "NumberOfCopies", item.number_of_copies)
        sub(info, _Y + "AmountCollected", item.amount_collected)
        sub(info, _Y + "OrderItemStatus", item.status)
        for tag, value in (("StatusChangeReason", item.status_change_reason),
                           ("SpecialHandling", item.special_handling)):
            if value is not None:
                sub(info, _Y + tag, value)
        if item.processed_utc is not None:
            sub(info, _Y + "ProcessedUtcTime", utc_text(item.processed_utc))
        if item.sent_utc is not None:
            sub(info, _Y + "DeliveredOnUtcTime", utc_text(item.sent_utc))
        for tag, number in (("PrintJobNumber", item.print_job_id),
                            ("MailingSequenceNumber", item.mailing_sequence_number)):
            if number is not None:
                sub(info, _Y + tag, number)
