"""SOAP 1.1 with spyne, hardened (reference/stack-notes.md §6).

- The XML parser never loads a DTD, resolves an entity or touches the
  network; any DOCTYPE is refused (SOAP 1.1 forbids them), so the
  validator never meets an unresolved entity node.
- SOAP-encoding ``href``/``id`` resolution is off (document/literal needs
  none, and cycles crash spyne).
- The body is validated against the published XSD and *every* error is
  listed with its path (rule 3001), not only libxml2's last one.
- Anything spyne cannot deserialize becomes rule 3002, never an HTML 500.
- The SOAPAction header, when sent, must name the operation in the body.
"""
from __future__ import annotations

import logging
from typing import Callable

from lxml import etree
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11

from pasi_core import rule_catalogue
from pasi_core.errors import RequestRejected
from pasi_core.soap.exchange import exchange_of
from pasi_core.soap.faults import (
    SCHEMA_FAULT, SOAP11_ENVELOPE, STRUCTURE_FAULT, structure_error, to_spyne_fault)

log = logging.getLogger("pasi_core.soap")

DTD_FAULT = "Client.DTDNotAllowed"
MUST_UNDERSTAND_FAULT = "MustUnderstand"


def secure_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, strip_cdata=False, collect_ids=False)


def _reject(ctx, rejected: RequestRejected) -> Fault:
    exchange = exchange_of(ctx)
    exchange.fault(rejected.fault_code, rejected.rule_id)
    return to_spyne_fault(rejected, exchange.message_id)


class HardenedSoap11(Soap11):
    """``readers`` maps an operation's body element to its codec reader
    (pasi_core/soap/codec.py); other operations go through spyne's own
    deserialization."""

    def __init__(self, *args, readers: dict[str, Callable] | None = None, **kwargs):
        kwargs.setdefault("validator", "lxml")
        super().__init__(*args, **kwargs)
        self.readers = dict(readers or {})

    # --- parsing ------------------------------------------------------------------
    def create_in_document(self, ctx, charset=None):
        payload = b"".join(ctx.in_string)
        try:
            root = etree.fromstring(payload, parser=secure_parser())
        except etree.XMLSyntaxError as error:
            raise _reject(ctx, structure_error(f"not well-formed XML: {error.msg}")) from None
        except ValueError as error:
            raise _reject(ctx, structure_error(str(error))) from None
        if root.getroottree().docinfo.doctype:
            raise _reject(ctx, RequestRejected(
                3002, rule_catalogue.render(3002), fault_code=DTD_FAULT,
                errors=[(None, "a DOCTYPE is not allowed in a SOAP message")]))
        ctx.in_document = (root, {})  # no SOAP-encoding href/id resolution
        ctx.in_string = []  # the parsed tree is all that is needed from here on

    def decompose_incoming_envelope(self, ctx, message=Soap11.REQUEST):
        root, _ = ctx.in_document
        if root.tag != f"{{{SOAP11_ENVELOPE}}}Envelope":
            raise _reject(ctx, structure_error("the document is not a SOAP 1.1 envelope"))
        for header in root.findall(f"{{{SOAP11_ENVELOPE}}}Header"):
            for entry in header:
                if (isinstance(entry.tag, str)
                        and entry.get(f"{{{SOAP11_ENVELOPE}}}mustUnderstand", "0").strip() == "1"):
                    # SOAP 1.1 §4.2.3: a mandatory header we do not process is a fault.
                    raise _reject(ctx, RequestRejected(
                        3002, rule_catalogue.render(3002), fault_code=MUST_UNDERSTAND_FAULT,
                        errors=[(None, f"header {etree.QName(entry).localname} is marked "
                                       "mustUnderstand but this service does not process it")]))
        bodies = root.findall(f"{{{SOAP11_ENVELOPE}}}Body")
        if len(bodies) != 1 or len(bodies[0]) != 1:
            raise _reject(ctx, structure_error("the SOAP Body must hold exactly one operation element"))
        operation = bodies[0][0]
        if not isinstance(operation.tag, str):
            raise _reject(ctx, structure_error("the SOAP Body must hold an element"))
        if operation.tag not in self._operation_elements():
            raise _reject(ctx, structure_error(f"unknown operation {etree.QName(operation).localname}"))
        action = _soap_action(ctx)
        if action and action != etree.QName(operation).localname:
            raise _reject(ctx, structure_error(
                f"the SOAPAction header ({action}) does not match the operation in the body"))
        exchange_of(ctx).operation = etree.QName(operation).localname
        try:
            super().decompose_incoming_envelope(ctx, message)
        except Fault:
            raise
        except Exception as error:  # spyne's own envelope handling failed
            raise _reject(ctx, structure_error(type(error).__name__)) from None

    def _operation_elements(self) -> set[str]:
        return {key for key in self.app.interface.service_method_map if key.startswith("{")}

    # --- validation ---------------------------------------------------------------
    def validate_body(self, ctx, message):
        schema = self.validation_schema
        try:
            valid = schema.validate(ctx.in_body_doc)
        except etree.XMLSchemaValidateError:
            raise _reject(ctx, structure_error("the request could not be validated")) from None
        if valid:
            return
        errors = [(entry.path, entry.message, entry.line) for entry in schema.error_log]
        details = "; ".join(f"{path}: {text}" for path, text, _ in errors[:20])
        if len(errors) > 20:
            details += f"; and {len(errors) - 20} more"
        raise _reject(ctx, RequestRejected(
            3001, rule_catalogue.render(3001, {"AdditionalDetails": details}),
            fault_code=SCHEMA_FAULT, errors=errors))

    # --- deserialization ------------------------------------------------------------
    def deserialize(self, ctx, message):
        reader = self.readers.get(ctx.in_body_doc.tag) if message is self.REQUEST else None
        if reader is not None:
            self.event_manager.fire_event("before_deserialize", ctx)
            try:
                ctx.in_object = [reader(ctx.in_body_doc)]
            except Exception as error:
                log.info("request could not be read: %s", type(error).__name__)
                raise _reject(ctx, structure_error()) from None
            ctx.in_header = None
            # The plain data is all the operation needs: let the XML tree go now
            # rather than at the end of the request (it dominates peak memory).
            ctx.in_document = ctx.in_body_doc = ctx.in_header_doc = None
            self.event_manager.fire_event("after_deserialize", ctx)
            return
        try:
            super().deserialize(ctx, message)
        except Fault as fault:
            if ctx.transport and exchange_of(ctx).outcome is None:
                raise _reject(ctx, structure_error(fault.faultstring)) from None
            raise
        except Exception as error:
            log.info("request could not be deserialized: %s", type(error).__name__)
            raise _reject(ctx, structure_error()) from None


class CodecSoap11Out(Soap11):
    """Writes results that map themselves (``to_xml_element``) without spyne's
    object serializer; everything else, faults included, goes through spyne."""

    def serialize(self, ctx, message):
        result = ctx.out_object[0] if ctx.out_error is None and ctx.out_object else None
        if message is not self.RESPONSE or not hasattr(result, "to_xml_element"):
            return super().serialize(ctx, message)
        self.event_manager.fire_event("before_serialize", ctx)
        ctx.out_document = etree.Element(f"{{{SOAP11_ENVELOPE}}}Envelope",
                                         nsmap=self.app.interface.nsmap)
        ctx.out_body_doc = etree.SubElement(ctx.out_document, f"{{{SOAP11_ENVELOPE}}}Body")
        ctx.out_body_doc.append(result.to_xml_element())
        if self.cleanup_namespaces:
            etree.cleanup_namespaces(ctx.out_document)
        self.event_manager.fire_event("after_serialize", ctx)


def _soap_action(ctx) -> str | None:
    raw = ctx.transport.req_env.get("HTTP_SOAPACTION")
    if raw is None:
        return None
    action = raw.strip().strip('"').strip()
    # Some clients send the full "namespace/Operation" form.
    return action.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or None


__all__ = ["HardenedSoap11", "CodecSoap11Out", "secure_parser", "STRUCTURE_FAULT"]
