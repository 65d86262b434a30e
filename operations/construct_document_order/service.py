"""The SOAP boundary of ConstructDocumentOrder (PASISystem, PASI System User)."""
from __future__ import annotations

import json
from datetime import timezone
from decimal import Decimal

from spyne import rpc

from pasi_core.caller import PASI_SYSTEM_USER, normalize_organization_code
from pasi_core.contract.common import Rejection as RejectionType
from pasi_core.contract.strict import required
from pasi_core.soap.service_base import PasiServiceBase, authenticate, caller_facts, runtime_of
from persistence.replay import Idempotency, Replayed

from .contract import DocumentOrderConstructRequest, DocumentOrderConstructResponse
from .handler import OrderOutcome, Rejection, construct_document_order
from .model import DocumentOrder, OrderItem

OPERATION = "ConstructDocumentOrder"


class ConstructDocumentOrderService(PasiServiceBase):
    __service_name__ = "PASISystem"

    @rpc(required(DocumentOrderConstructRequest), _returns=required(DocumentOrderConstructResponse),
         _body_style="wrapped")
    def ConstructDocumentOrder(ctx, request):
        facts = caller_facts(request.CallerInfo)
        caller, exchange = authenticate(ctx, facts, operation=OPERATION, required_role=PASI_SYSTEM_USER)
        runtime = runtime_of(ctx)
        order = to_order(request)
        message_id = exchange.message_id
        idempotency = Idempotency.for_request(caller, facts.client_message_id, OPERATION, order,
                                              message_id=message_id, render=stored_form)
        answer = construct_document_order(runtime.session_factory, caller, order, now=runtime.clock(),
                                          idempotency=idempotency)
        if isinstance(answer, Replayed):
            exchange.outcome = "replayed"
            return response(answer.original_message_id, from_stored_form(answer.response_body))
        exchange.record_count = 1
        exchange.accepted_count = 1 if answer.saved else 0
        exchange.record_outcomes = [[answer.order_id, answer.version, [r.rule_id for r in answer.rejections]]]
        exchange.outcome = "ok"
        return response(message_id, answer)


def _utc(moment):
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def to_order(request) -> DocumentOrder:
    items = []
    for info in request.DocumentOrderItems or ():
        lines = tuple(info.AddressLines.AddressLine or ()) if info.AddressLines else ()
        items.append(OrderItem(
            asn=info.StateProvinceId.strip(), document_type=info.DocumentType,
            delivery_method=info.DocumentDeliveryMethod, document_language=info.DocumentLanguage,
            number_of_copies=int(info.NumberOfCopies), amount_collected=Decimal(info.AmountCollected),
            recipient_is_student=bool(info.RecipientIsStudent), process_expectation=info.ProcessExpectation,
            credential_number=info.CredentialNumber.replace("-", "") if info.CredentialNumber else None,
            recipient_name=info.RecipientName, address_lines=lines, city=info.CityName,
            province_state=info.StateProvinceCode, postal_code=info.PostalCode, country=info.CountryName,
            fax_number=info.FaxNumber, control_schedule_id=info.OperationControlScheduleId,
            provided_consent_for_school_release=info.ProvidedConsentForSchoolRelease,
            item_number=info.DocumentOrderItemNumber or None))
    organization = request.EducationAccountOrganization
    return DocumentOrder(
        order_id=int(request.DocumentOrderId), version=int(request.PASICoreVersion),
        billing_information_id=int(request.BillingInformationId),
        order_received_method=request.OrderReceivedMethod, order_status=request.OrderStatus,
        is_deleted=bool(request.IsDeleted), items=tuple(items), requestor_name=request.RequestorName,
        order_placed_utc=_utc(request.OrderPlacedUtcTime),
        education_account_identifier=request.EducationAccountIdentifier,
        education_account_organization=normalize_organization_code(organization) if organization else None,
        payment_method=request.PaymentMethod, payment_transaction_id=request.PaymentTransactionId)


def response(message_id: str, outcome: OrderOutcome) -> DocumentOrderConstructResponse:
    return DocumentOrderConstructResponse(
        MessageID=message_id, DocumentOrderId=outcome.order_id, PASICoreVersion=outcome.version,
        Rejections=[RejectionType(RuleId=r.rule_id, Message=r.message, FieldPath=r.path)
                    for r in outcome.rejections])


def stored_form(outcome: OrderOutcome) -> bytes:
    return json.dumps([outcome.order_id, outcome.version,
                       [[r.rule_id, r.message, r.path] for r in outcome.rejections]]).encode()


def from_stored_form(body: bytes) -> OrderOutcome:
    order_id, version, rejections = json.loads(body)
    return OrderOutcome(order_id, version, tuple(Rejection(*r) for r in rejections))
