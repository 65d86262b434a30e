"""GetDiplomaExamMark's service layer against a fake reader: the order, the statuses, the Expected
Version stop, and the access decision in passes (each fact loaded only for the marks the pass before
left undecided)."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from operations.get_diploma_exam_mark.model import MarkAccessFacts, MarkPlacement, ReadMark, RequestedMark
from operations.get_diploma_exam_mark.service import get_diploma_exam_marks
from operations.submit_diploma_exam_mark.model import ComponentMark, ExamMark, ExamSitting, StoredExamMark
from pasi_core.kernel.caller import Caller

NOW, TODAY = datetime(2026, 3, 2, 12), date(2026, 3, 2)
SCHOOL, MINISTRY = Caller("S.0001", frozenset()), Caller("O.1", frozenset())


def stored(ref: str, version: int, asn: str = "100000001", sittings: tuple[str, ...] = ()) -> ReadMark:
    components = tuple(ComponentMark("RE", sitting) for sitting in sittings)
    return ReadMark(StoredExamMark(ExamMark(ref, asn, "exam", "RE", None, False, False, components),
                                   version), NOW)


class FakeReader:
    def __init__(self, marks: dict[str, ReadMark], facts: dict[str, MarkAccessFacts],
                 enrolled_here: frozenset[str] = frozenset(), sittings_here: frozenset[str] = frozenset()):
        self._marks, self._facts = marks, facts
        self._enrolled_here, self._sittings_here = enrolled_here, sittings_here
        self.calls: list[tuple[tuple[str, ...], bool | str]] = []

    def marks(self, ref_ids):
        return {ref: self._marks[ref] for ref in ref_ids if ref in self._marks}

    def placements(self, ref_ids):
        return {ref: MarkPlacement.of(self._marks[ref]) for ref in ref_ids if ref in self._marks}

    def enrolled_at_callers_schools(self, caller, asns, school_years):
        asns = tuple(sorted(asns))
        self.calls.append((asns, f"enrolled at {caller.organization_code} in {school_years}"))
        return {asn for asn in asns if asn in self._enrolled_here}

    def sittings_at_callers_schools(self, caller, sitting_ref_ids):
        sittings = tuple(sorted(sitting_ref_ids))
        self.calls.append((sittings, f"sittings at {caller.organization_code}"))
        return {ref for ref in sittings if ref in self._sittings_here}

    def access_facts(self, ref_ids, *, with_registrations=True, known=None):
        refs = tuple(sorted(ref_ids))
        self.calls.append((refs, with_registrations))
        return {ref: (self._facts[ref] if with_registrations
                      else MarkAccessFacts(self._facts[ref].enrolments, self._facts[ref].authority_of_school,
                                           (), self._facts[ref].sittings))
                for ref in refs if ref in self._facts}


def facts(enrolled: bool = False, registered_here: bool = False) -> MarkAccessFacts:
    registration = ExamSitting("s", "e", "A", "S.0001", "Aspen", "gym", datetime(2026, 6, 1), None)
    return MarkAccessFacts((("S.0001", 2026),) if enrolled else (("S.0009", 2026),), {},
                           (registration,) if registered_here else (), ())


def answer(reader: FakeReader, caller: Caller, *items: RequestedMark):
    return get_diploma_exam_marks(SimpleNamespace(exam_mark_reads=reader), caller, list(items),
                                  today=TODAY, now=NOW)


def test_each_refid_in_order_with_its_status_and_the_stored_version():
    reader = FakeReader({"a": stored("a", 5), "b": stored("b", 6)},
                        {"a": facts(enrolled=True), "b": facts()})
    answers = answer(reader, SCHOOL, RequestedMark("B"), RequestedMark("zzz"), RequestedMark("a"))
    assert [(x.ref_id, x.availability) for x in answers] == [
        ("B", "No Access"), ("zzz", "Unknown"), ("a", "Normal")]
    assert answers[2].mark.stored.version == 5


def test_an_expected_version_that_differs_ends_the_answer():
    reader = FakeReader({"a": stored("a", 5), "b": stored("b", 6)}, {})
    answers = answer(reader, MINISTRY, RequestedMark("a", 5), RequestedMark("b", 7), RequestedMark("a", 0))
    assert [x.ref_id for x in answers] == ["a"]


def test_each_pass_loads_facts_only_for_the_marks_the_pass_before_left_undecided():
    reader = FakeReader({"own": stored("own", 1, asn="1"), "written": stored("written", 5, asn="5", sittings=("here",)),
                         "linked": stored("linked", 4, asn="4", sittings=("away",)),
                         "visitor": stored("visitor", 2, asn="2"), "stranger": stored("stranger", 3, asn="3")},
                        {"own": facts(enrolled=True), "linked": facts(enrolled=True), "written": facts(),
                         "visitor": facts(registered_here=True), "stranger": facts()},
                        enrolled_here=frozenset({"1"}), sittings_here=frozenset({"here"}))
    answers = answer(reader, SCHOOL, *(RequestedMark(ref) for ref in
                                       ("own", "written", "linked", "visitor", "stranger")))
    assert [x.availability for x in answers] == ["Normal", "Normal", "Normal", "Normal", "No Access"]
    assert reader.calls == [(("1", "2", "3", "4", "5"), "enrolled at S.0001 in (2026, 2025)"),
                            (("away", "here"), "sittings at S.0001"),
                            (("linked", "stranger", "visitor"), False),
                            (("stranger", "visitor"), True)]


def test_a_mark_of_a_student_enrolled_here_needs_no_other_fact():
    reader = FakeReader({"own": stored("own", 1)}, {}, enrolled_here=frozenset({"100000001"}))
    assert [x.availability for x in answer(reader, SCHOOL, RequestedMark("own"))] == ["Normal"]
    assert [kind for _, kind in reader.calls] == ["enrolled at S.0001 in (2026, 2025)"]


def test_the_ministry_needs_no_access_facts():
    reader = FakeReader({"a": stored("a", 1)}, {})
    assert [x.availability for x in answer(reader, MINISTRY, RequestedMark("a"))] == ["Normal"]
    assert reader.calls == []
