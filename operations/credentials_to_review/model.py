"""The four "Find Credentials That Are" categories and a found credential, as plain data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ACHIEVED_NOT_AWARDED = "achieved-not-awarded"
AWARDED_NOT_ORDERED = "awarded-not-ordered"
NO_LONGER_ACHIEVED = "no-longer-achieved"
NEEDS_REVIEW = "needs-review"
CATEGORIES = {
    ACHIEVED_NOT_AWARDED: "Achieved but Not Awarded",
    AWARDED_NOT_ORDERED: "Awarded but Not Ordered",
    NO_LONGER_ACHIEVED: "Awarded but No Longer Achieved",
    NEEDS_REVIEW: "Not Awarded and Needs Review",
}
"""In the order PASIprep's dropdown lists them."""
REVIEW_STATUSES = ("ToBeAssessed", "CalculationOutstanding")
"""Achievement statuses a person must settle before a credential can be awarded
(docs/decisions.md, "Credentials to review")."""


@dataclass(frozen=True)
class ReviewItem:
    asn: str
    credential_type: str
    requirement_set: str | None
    achievement_status: str | None
    credential_number: str | None
    awarded_on_date: date | None
