"""The spyne service base every operation derives from.

It authenticates the caller before any business rule, turns our
:class:`RequestRejected` into a SOAP fault carrying the message id, and an
unexpected exception into a Server fault (rule 9001) whose log line holds
the message id and the exception type but no request data.
"""
from __future__ import annotations

import logging

from spyne import ServiceBase
from spyne.model.fault import Fault

from pasi_core.authentication import authorize_operation
from pasi_core.caller import Caller
from pasi_core.errors import RequestRejected
from pasi_core.runtime import Runtime
from pasi_core.soap.codec import CallerFacts
from pasi_core.soap.exchange import Exchange, exchange_of
from pasi_core.soap.faults import server_error, to_spyne_fault

log = logging.getLogger("pasi_core.service")


class PasiServiceBase(ServiceBase):
    @classmethod
    def call_wrapper(cls, ctx, args=None):
        exchange = exchange_of(ctx)
        try:
            return super().call_wrapper(ctx, args)
        except Fault:
            raise
        except RequestRejected as rejected:
            exchange.fault(rejected.fault_code, rejected.rule_id)
            raise to_spyne_fault(rejected, exchange.message_id) from None
        except Exception as error:
            log.error("unexpected %s while handling message %s (%s); the request was rolled back",
                      type(error).__name__, exchange.message_id, exchange.operation)
            rejected = server_error(exchange.message_id)
            exchange.fault(rejected.fault_code, rejected.rule_id)
            raise to_spyne_fault(rejected, exchange.message_id) from None


def runtime_of(ctx) -> Runtime:
    return ctx.app.config


def caller_facts(info) -> CallerFacts:
    """The CallerInfo of a request spyne has parsed (operations without a
    streaming reader of their own)."""
    return CallerFacts(info.ClientMessageID, info.OrganizationCode, str(info.SentUtcTime),
                       info.User.Name if info.User else None)


def authenticate(ctx, caller_info: CallerFacts, *, operation: str,
                 required_role: str) -> tuple[Caller, Exchange]:
    """Who is calling, checked before any business rule (1001-1008, 5001)."""
    exchange = exchange_of(ctx)
    exchange.client_message_id = caller_info.client_message_id
    exchange.organization_code = caller_info.organization_code
    caller = runtime_of(ctx).authenticator.authenticate(exchange.transport, caller_info.organization_code)
    exchange.client_name = caller.client_name
    exchange.organization_code = caller.organization_code
    authorize_operation(caller, operation, required_role)
    return caller, exchange
