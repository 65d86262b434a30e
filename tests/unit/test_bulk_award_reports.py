"""operations/bulk_award_and_order/reports.py: the CSV files a bulk run writes."""
from __future__ import annotations

import pytest

from operations.bulk_award_and_order.reports import csv_file, to_bytes

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
