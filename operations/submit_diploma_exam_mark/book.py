"""The batch's view of the store: what the database held when the request
began, plus every record accepted earlier in the same request.

Rules read it through a handful of questions (this student's other marks,
registrations on a sitting, ...), so a record is checked against the
database *and* the records before it, then the accepted records are
written together.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.students import Student

from .access import centres_still_to_write
from .model import Exam, ExamSitting, RegistrationRequest, RescoreRequest, StoredExamMark, WaivedFee


@dataclass
class Enrolments:
    """School enrolments ((school code, school year) pairs) by ASN, for rule 9059."""

    schools_by_student: Mapping[str, set[tuple[str, int]]] = field(default_factory=dict)
    authority_of_school: Mapping[str, str | None] = field(default_factory=dict)


class MarkBook:
    def __init__(self, *, marks: Iterable[StoredExamMark], exams: Mapping[str, Exam],
                 sittings: Mapping[str, ExamSitting], students: Mapping[str, Student],
                 registrations_by_sitting: Mapping[str, int],
                 rescore_requests: Iterable[RescoreRequest] = (),
                 registration_requests: Mapping[str, RegistrationRequest] | None = None,
                 waived_fees: Iterable[WaivedFee] = (),
                 fee_links: Mapping[str, str] | None = None,
                 enrolments: Enrolments | None = None,
                 activity_school_years: Mapping[str, int] | None = None,
                 codes: CodeTables | None = None):
        self.exams = dict(exams)
        self.sittings = dict(sittings)
        self.students = dict(students)
        self.codes = codes or CodeTables({})
        self.enrolments = enrolments or Enrolments()
        self.registration_requests = dict(registration_requests or {})
        self.activity_school_years = dict(activity_school_years or {})
        self._marks: dict[str, StoredExamMark] = {}
        self._marks_by_asn: dict[str, set[str]] = defaultdict(set)
        self._registrations_by_sitting: dict[str, int] = defaultdict(int, registrations_by_sitting)
        self._rescore_requests: dict[str, list[RescoreRequest]] = defaultdict(list)
        for request in rescore_requests:
            self._rescore_requests[request.exam_mark_ref_id].append(request)
        self.waived_fees: dict[str, WaivedFee] = {fee.ref_id: fee for fee in waived_fees}
        self.fee_links: dict[str, str] = dict(fee_links or {})
        self._asns_by_logical: dict[str, set[str]] = defaultdict(set)
        for student in self.students.values():
            self._asns_by_logical[student.logical_asn].add(student.asn)
        for mark in marks:
            # The database counts already include stored registrations.
            self._index(mark, count_registrations=False)

    # --- questions rules ask ---------------------------------------------------------
    def stored(self, ref_id: str) -> StoredExamMark | None:
        return self._marks.get(ref_id)

    def student(self, asn: str) -> Student | None:
        return self.students.get(asn)

    def exam(self, ref_id: str) -> Exam | None:
        return self.exams.get(ref_id)

    def require_exam(self, ref_id: str) -> Exam:
        """An exam the batch is known to reference (a stored mark's, or one its rules checked)."""
        exam = self.exams.get(ref_id)
        if exam is None:
            raise KeyError(f"exam {ref_id} was not loaded with the batch")
        return exam

    def sitting(self, ref_id: str) -> ExamSitting | None:
        return self.sittings.get(ref_id)

    def marks_of_asn(self, asn: str) -> list[StoredExamMark]:
        return [self._marks[ref] for ref in sorted(self._marks_by_asn.get(asn, ()))]

    def linked_asns(self, asn: str) -> set[str]:
        """Every ASN of the same person (the Primary and its Secondaries)."""
        student = self.students.get(asn)
        if student is None:
            return {asn}
        return set(self._asns_by_logical.get(student.logical_asn, ())) | {asn}

    def marks_of_person(self, asn: str) -> list[StoredExamMark]:
        linked = self.linked_asns(asn)
        if len(linked) == 1:
            return self.marks_of_asn(asn)  # most people have one ASN
        return [mark for each in sorted(linked) for mark in self.marks_of_asn(each)]

    def registrations_on(self, sitting_ref_id: str) -> int:
        return self._registrations_by_sitting.get(sitting_ref_id, 0)

    def rescore_requests_for(self, mark_ref_id: str) -> list[RescoreRequest]:
        return list(self._rescore_requests.get(mark_ref_id, ()))

    def waived_fee_for(self, mark_ref_id: str) -> WaivedFee | None:
        fee_ref = self.fee_links.get(mark_ref_id)
        return self.waived_fees.get(fee_ref) if fee_ref else None

    def waived_fees_of_person(self, asn: str) -> list[WaivedFee]:
        linked = self.linked_asns(asn)
        return sorted((fee for fee in self.waived_fees.values() if fee.asn in linked),
                      key=lambda fee: fee.ref_id)

    def session_of(self, mark: StoredExamMark) -> tuple[int, str, str] | None:
        exam = self.exams.get(mark.mark.exam_ref_id)
        return exam.session_key if exam else None

    def registered_writing_centres(self, asn: str, now: datetime) -> set[str]:
        """Writing centres a person is registered at for an exam still to come."""
        return centres_still_to_write(
            (self.sittings.get(component.sitting_ref_id) for stored in self.marks_of_person(asn)
             if stored.mark.is_active_registration for component in stored.mark.components), now)

    def snapshot(self) -> tuple[dict[str, StoredExamMark], dict[str, str], dict[str, int]]:
        """Marks, fee links and activity years as they are now (before the batch's changes)."""
        return dict(self._marks), dict(self.fee_links), dict(self.activity_school_years)

    # --- recording accepted changes ------------------------------------------------
    def record(self, mark: StoredExamMark) -> None:
        """Make an accepted change visible to the records that follow it."""
        previous = self._marks.get(mark.mark.ref_id)
        if previous is not None:
            self._unindex(previous)
        self._index(mark)

    def record_rescore_request(self, request: RescoreRequest) -> None:
        requests = self._rescore_requests[request.exam_mark_ref_id]
        requests[:] = [r for r in requests if r.ref_id != request.ref_id] + [request]

    def record_waived_fee(self, fee: WaivedFee) -> None:
        self.waived_fees[fee.ref_id] = fee

    def link_fee(self, mark_ref_id: str, fee_ref_id: str | None) -> None:
        if fee_ref_id is None:
            self.fee_links.pop(mark_ref_id, None)
        else:
            self.fee_links[mark_ref_id] = fee_ref_id

    def _index(self, stored: StoredExamMark, count_registrations: bool = True) -> None:
        self._marks[stored.mark.ref_id] = stored
        self._marks_by_asn[stored.mark.asn].add(stored.mark.ref_id)
        if count_registrations:
            for sitting_ref in _capacity_sittings(stored):
                self._registrations_by_sitting[sitting_ref] += 1

    def _unindex(self, stored: StoredExamMark) -> None:
        self._marks_by_asn[stored.mark.asn].discard(stored.mark.ref_id)
        for sitting_ref in _capacity_sittings(stored):
            self._registrations_by_sitting[sitting_ref] -= 1


def _capacity_sittings(stored: StoredExamMark) -> set[str]:
    """Sittings whose capacity this mark uses: an undeleted registration's sittings."""
    if not stored.mark.is_active_registration:
        return set()
    return {component.sitting_ref_id for component in stored.mark.components}
