"""GetDiplomaExamMark's service layer against a fake reader: the order, the statuses, the Expected
Version stop, and the two-pass access decision (registrations only for marks still undecided)."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from operations.get_diploma_exam_mark.model import MarkAccessFacts, ReadMark, RequestedMark
from operations.get_diploma_exam_mark.service import get_diploma_exam_marks
from operations.submit_diploma_exam_mark.model import ExamMark, ExamSitting, StoredExamMark
from pasi_core.kernel.caller import Caller

NOW, TODAY = datetime(2026, 3, 2, 12), date(2026, 3, 2)
SCHOOL, MINISTRY = Caller("S.0001", frozenset()), Caller("O.1", frozenset())


def stored(ref: str, version: int) -> ReadMark:
    return ReadMark(StoredExamMark(ExamMark(ref, "100000001", "exam", "RE", None, False, False, ()),
                                   version), NOW)


class FakeReader:
    def __init__(self, marks: dict[str, ReadMark], facts: dict[str, MarkAccessFacts]):
        self._marks, self._facts = marks, facts
        self.calls: list[tuple[tuple[str, ...], bool]] = []

    def marks(self, ref_ids):
        return {ref: self._marks[ref] for ref in ref_ids if ref in self._marks}

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


def test_registrations_are_loaded_only_for_the_marks_the_first_pass_left_undecided():
    reader = FakeReader({"own": stored("own", 1), "visitor": stored("visitor", 2),
                         "stranger": stored("stranger", 3)},
                        {"own": facts(enrolled=True), "visitor": facts(registered_here=True),
                         "stranger": facts()})
    answers = answer(reader, SCHOOL, RequestedMark("own"), RequestedMark("visitor"), RequestedMark("stranger"))
    assert [x.availability for x in answers] == ["Normal", "Normal", "No Access"]
    assert reader.calls == [(("own", "stranger", "visitor"), False), (("stranger", "visitor"), True)]


def test_the_ministry_needs_no_access_facts():
    reader = FakeReader({"a": stored("a", 1)}, {})
    assert [x.availability for x in answer(reader, MINISTRY, RequestedMark("a"))] == ["Normal"]
    assert reader.calls == []
