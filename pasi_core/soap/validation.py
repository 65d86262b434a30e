"""XSD validation of a request's operation element, at a cost linear in the body.

libxml2 computes an XPath for every schema error it reports, scanning the
failing node's siblings at each level, so one document with thousands of
failing siblings costs time quadratic in their number (measured: 40,000
empty records took 5.4 s).  Validation therefore:

1. refuses a record list holding more items than a request may carry
   (PASI_MAX_RECORDS_PER_REQUEST) before validating anything;
2. validates the request with only the first item of each record list
   (the skeleton), then every other item on its own (each is a global
   element of the schema), so an error's path never scans a long list;
3. lists at most :data:`MAX_LISTED_ERRORS` errors, with the total.

Every valid request costs one skeleton validation plus one per record
(docs/benchmarks.md has the figures).  Paths are rendered by element name
without the client's namespace prefixes (``ExamMarks/ExamMarkInfo[3]/MarkValue``),
whatever prefixes or default namespaces the client used.
"""
from __future__ import annotations

import re

from lxml import etree

from operations.soap_operation import RecordList
from pasi_core.kernel import rule_catalogue
from pasi_core.kernel.errors import SCHEMA_FAULT, ErrorDetail, RequestRejected

MAX_LISTED_ERRORS = 100
_NAMESPACE = re.compile(r"\{(?:urn|https?):[^{}]*\}")
"""The ``{namespace}`` libxml2 puts before element names in its messages."""
_STEP = re.compile(r"^(?P<name>[^\[]+)(\[(?P<index>[0-9]+)\])?$")


class RequestSchema:
    """One endpoint's schema, compiled once at start-up."""

    def __init__(self, schema: etree.XMLSchema):
        self._schema = schema

    @property
    def xml_schema(self) -> etree.XMLSchema:
        """The compiled schema itself (benchmarks/submit_floor.py validates a whole request
        with it in one call, as the floor)."""
        return self._schema

    def validate(self, operation: etree._Element, lists: tuple[RecordList, ...],
                 max_records: int) -> None:
        """Raise rule 3001 listing the first errors (with their paths) and the total."""
        request = operation[0] if len(operation) else None
        containers = _containers(request, lists)
        for container, _ in containers:
            if len(container) > max_records:
                name = etree.QName(container).localname
                raise RequestRejected(3001, rule_catalogue.render(3001, {
                    "AdditionalDetails": f"{name} holds {len(container)} items; at most "
                                         f"{max_records} may be submitted in one request"}),
                    fault_code=SCHEMA_FAULT,
                    errors=[ErrorDetail(name, f"at most {max_records} items per request")])
        detached = [(container, list(container)[1:]) for container, spec in containers
                    if spec.items_are_global]
        for container, items in detached:
            for item in items:
                container.remove(item)
        failures: list[tuple[object, etree._Element, etree._Element | None]] = []
        total = 0
        try:
            if not self._schema.validate(operation):
                entries = list(self._schema.error_log)
                total += len(entries)
                failures += [(entry, operation, None) for entry in entries[:MAX_LISTED_ERRORS]]
            for _container, items in detached:
                for item in items:
                    if self._schema.validate(item):
                        continue
                    entries = list(self._schema.error_log)
                    total += len(entries)
                    room = max(MAX_LISTED_ERRORS - len(failures), 0)
                    failures += [(entry, item, item) for entry in entries[:room]]
        finally:
            for container, items in detached:
                container.extend(items)
        if total:
            # Paths are rendered with every item back in place, so positions are the client's.
            raise _schema_fault([_error(entry, root, item) for entry, root, item in failures],
                                total)


def _find(request: etree._Element | None, local_name: str) -> etree._Element | None:
    if request is None:
        return None
    for child in request:
        if isinstance(child.tag, str) and etree.QName(child).localname == local_name:
            return child
    return None


def _containers(request, lists: tuple[RecordList, ...]) -> list[tuple[etree._Element, RecordList]]:
    found = [(_find(request, spec.container), spec) for spec in lists]
    return [(container, spec) for container, spec in found if container is not None]


def _schema_fault(errors: list[ErrorDetail], total: int) -> RequestRejected:
    details = "; ".join(f"{e.path}: {e.text}" if e.path else e.text for e in errors[:20])
    if total > 20:
        details += f"; {total} errors in all"
    if total > len(errors):
        errors = [*errors, ErrorDetail(None, f"{total - len(errors)} more error(s) not listed "
                                             f"({total} in all)")]
    return RequestRejected(3001, rule_catalogue.render(3001, {"AdditionalDetails": details}),
                           fault_code=SCHEMA_FAULT, errors=errors)


def _error(entry, root: etree._Element, item: etree._Element | None) -> ErrorDetail:
    """``root``: the element validated (the operation, or a list item on its own)."""
    message = _NAMESPACE.sub("", entry.message)
    node = _resolve(root, entry.path)
    path: str | None = (_path_of(node) if node is not None else
                        _strip_prefixes(entry.path, _path_of(item) if item is not None else None))
    return ErrorDetail(path or None, message, entry.line or None)


def _resolve(root: etree._Element, path: str | None) -> etree._Element | None:
    """The element a libxml2 error path names, found under ``root`` (the path's first step)."""
    if not path or not path.startswith("/"):
        return None
    steps = path.strip("/").split("/")[1:]
    node = root
    for step in steps:
        match = _STEP.match(step)
        if match is None:
            return None
        name, index = match.group("name"), int(match.group("index") or 1)
        local = name.split(":", 1)[-1]
        candidates = [child for child in node if isinstance(child.tag, str)
                      and (local == "*" or etree.QName(child).localname == local)]
        if len(candidates) < index:
            return None
        node = candidates[index - 1]
    return node


_SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


def _path_of(node: etree._Element) -> str:
    """``SubmitDiplomaExamMark/request/ExamMarks/ExamMarkInfo[3]/MarkValue``: local names
    from the operation element down, with the 1-based position among same-named
    siblings where there are several."""
    steps = []
    current: etree._Element | None = node
    while current is not None and current.tag != _SOAP_BODY:
        parent = current.getparent()
        name = etree.QName(current).localname
        if parent is not None and parent.tag != _SOAP_BODY:
            same = [sibling for sibling in parent if sibling.tag == current.tag]
            steps.append(f"{name}[{same.index(current) + 1}]" if len(same) > 1 else name)
        else:
            steps.append(name)
        current = parent
    return "/".join(reversed(steps))


def _strip_prefixes(path: str | None, item_path: str | None) -> str | None:
    """A path that could not be resolved, without namespace prefixes (a last resort)."""
    if not path:
        return item_path
    steps = [step.split(":", 1)[-1] for step in path.strip("/").split("/")]
    if item_path is not None:
        steps = item_path.split("/") + steps[1:]
    return "/".join(steps) or None
