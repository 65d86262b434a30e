"""The SOAP boundary of SubmitCredentialAwardingMultiple (PASISystem, PASI System User)."""
from __future__ import annotations

import json

from spyne import rpc

from pasi_core import rule_catalogue
from pasi_core.caller import PASI_SYSTEM_USER
from pasi_core.contract.common import Rejection as RejectionType
from pasi_core.contract.strict import required
from pasi_core.errors import RequestRejected
from pasi_core.soap.faults import SCHEMA_FAULT
from pasi_core.soap.service_base import PasiServiceBase, authenticate, caller_facts, runtime_of
from persistence.replay import Idempotency, Replayed

from .contract import (
    MultipleSubmitCredentialResponse, SubmitCredentialAwardingMultipleRequest, SubmitCredentialResponse)
from .handler import AwardOutcome, Rejection, award_credentials

OPERATION = "SubmitCredentialAwardingMultiple"


class SubmitCredentialAwardingMultipleService(PasiServiceBase):
    __service_name__ = "PASISystem"

    @rpc(required(SubmitCredentialAwardingMultipleRequest),
         _returns=required(MultipleSubmitCredentialResponse), _body_style="wrapped")
    def SubmitCredentialAwardingMultiple(ctx, request):
        facts = caller_facts(request.CallerInfo)
        caller, exchange = authenticate(ctx, facts, operation=OPERATION, required_role=PASI_SYSTEM_USER)
        runtime = runtime_of(ctx)
        asns = [asn.strip() for asn in (request.StateProvinceIds.StateProvinceId or [])]
        limit = runtime.settings.max_records_per_request
        if len(asns) > limit:
            raise RequestRejected(3001, rule_catalogue.render(3001, {
                "AdditionalDetails": f"StateProvinceIds holds {len(asns)} ASNs; at most {limit} may "
                                     f"be submitted in one request"}), fault_code=SCHEMA_FAULT)
        message_id = exchange.message_id
        idempotency = Idempotency.for_request(caller, facts.client_message_id, OPERATION, asns,
                                              message_id=message_id, render=stored_form)
        answer = award_credentials(runtime.session_factory, caller, asns, now=runtime.clock(),
                                   idempotency=idempotency)
        if isinstance(answer, Replayed):
            exchange.outcome = "replayed"
            return response_object(answer.original_message_id, from_stored_form(answer.response_body))
        exchange.record_count = len(answer)
        exchange.accepted_count = sum(1 for outcome in answer if outcome.awarded)
        exchange.record_outcomes = [[o.asn, o.version, [r.rule_id for r in o.rejections]] for o in answer]
        exchange.outcome = "ok"
        return response_object(message_id, answer)


def response_object(message_id: str, outcomes: list[AwardOutcome]) -> MultipleSubmitCredentialResponse:
    return MultipleSubmitCredentialResponse(MessageID=message_id, SubmitCredentialResponses=[
        SubmitCredentialResponse(StateProvinceId=o.asn, CredentialType=o.credential_type,
                                 CredentialNumber=o.credential_number, PASICoreVersion=o.version,
                                 Rejections=[RejectionType(RuleId=r.rule_id, Message=r.message)
                                             for r in o.rejections]) for o in outcomes])


def stored_form(outcomes: list[AwardOutcome]) -> bytes:
    """What is kept for replay-safe resubmission: the answer, not the awards."""
    return json.dumps([[o.asn, o.credential_type, o.credential_number, o.version,
                        [[r.rule_id, r.message] for r in o.rejections]] for o in outcomes]).encode()


def from_stored_form(body: bytes) -> list[AwardOutcome]:
    return [AwardOutcome(asn, kind, number, version, tuple(Rejection(rule, message)
                                                            for rule, message in rejections))
            for asn, kind, number, version, rejections in json.loads(body)]
