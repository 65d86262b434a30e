"""operations/bulk_award_and_order/reports.py: the CSV files a bulk run writes; and the
selection's spool (selection.py) the search keeps its students in."""
from __future__ import annotations

import pytest

from operations.bulk_award_and_order.reports import csv_file, stream, to_bytes
from operations.bulk_award_and_order.selection import Selected, SelectionSpool

COLUMNS = ["ASN", "Outcome"]
ROWS = [["1234-5678-9", "Awarded, ordered"], ["2345-6789-0", "=cmd|' /C calc'!A0"]]


def test_a_file_written_row_by_row_has_the_bytes_of_the_whole(tmp_path):
    path = tmp_path / "run.csv"
    with csv_file(path, COLUMNS) as add:
        add(ROWS[:1])
        add(ROWS[1:])
    assert path.read_bytes() == to_bytes(COLUMNS, ROWS)
    assert list(tmp_path.iterdir()) == [path]


def test_a_failure_half_way_leaves_no_file_behind(tmp_path):
    path = tmp_path / "run.csv"
    with pytest.raises(RuntimeError), csv_file(path, COLUMNS) as add:
        add(ROWS[:1])
        raise RuntimeError("the credential of a position is missing")
    assert list(tmp_path.iterdir()) == []


def test_the_whole_file_is_utf8_with_a_byte_order_mark_crlf_lines_and_inert_formulas():
    assert to_bytes(COLUMNS, ROWS) == (b"\xef\xbb\xbfASN,Outcome\r\n1234-5678-9,\"Awarded, ordered\"\r\n"
                                       b"2345-6789-0,'=cmd|' /C calc'!A0\r\n")


def test_a_streamed_file_sends_the_header_then_one_piece_per_chunk():
    pieces = list(stream(COLUMNS, [ROWS[:1], [], ROWS[1:]]))
    assert pieces[0] == b"\xef\xbb\xbfASN,Outcome\r\n" and pieces[2] == b""
    assert len(pieces) == 4 and b"".join(pieces) == to_bytes(COLUMNS, ROWS)


def test_a_spooled_selection_comes_back_in_order_in_chunks_with_its_nones():
    students = [Selected(f"{n:09d}", "AHSD", None if n % 2 else "2024", None if n % 3 else 2026)
                for n in range(7)]
    with SelectionSpool() as spool:
        spool.add(students[:3])
        spool.add([])
        spool.add(students[3:])
        chunks = list(spool.chunks(3))
        assert spool.count == 7
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [s for chunk in chunks for s in chunk] == students
