"""School years as PASI counts them: the final calendar year of September-August."""
from __future__ import annotations

from datetime import date, datetime

SCHOOL_YEAR_FIRST_MONTH = 9


def school_year_of(moment: date | datetime) -> int:
    """2023-09-01 through 2024-08-31 is school year 2024 ("2023/2024")."""
    return moment.year + 1 if moment.month >= SCHOOL_YEAR_FIRST_MONTH else moment.year


def display_school_year(school_year: int) -> str:
    return f"{school_year - 1}/{school_year}"
