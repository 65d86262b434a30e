"""SubmitCredentialAwardingMultiple through zeep on the PASISystem endpoint."""
from __future__ import annotations

import pytest
from zeep.exceptions import Fault

from pasi_core.kernel import credential_numbers
from persistence import models as t
from tests.support import province as p
from tests.support import store


def by_asn(responses):
    return {r.StateProvinceId: r for r in responses}


def rules(response) -> list[int]:
    return [r.RuleId for r in response.Rejections.Rejection] if response.Rejections else []


def messages(response) -> list[str]:
    return [r.Message for r in response.Rejections.Rejection] if response.Rejections else []


def credentials_of(engine, asn):
    with engine.connect() as connection:
        from sqlalchemy import select
        return [dict(r) for r in connection.execute(select(t.StudentCredential.__table__).where(
            t.StudentCredential.asn == asn)).mappings()]


def test_the_highest_achieved_credential_is_awarded_with_a_number_and_a_trigger(pasi_system, clock):
    (answer,) = pasi_system.awards([p.C_READY])
    assert rules(answer) == [] and answer.CredentialType == "AHSD"
    assert credential_numbers.has_our_check_digit(answer.CredentialNumber) and answer.PASICoreVersion > 0
    (stored,) = credentials_of(pasi_system.engine, p.C_READY)
    assert stored["credential_number"] == answer.CredentialNumber and stored["version"] == answer.PASICoreVersion
    assert stored["school_year"] == 2025, "the latest official mark with credit awarded"
    assert stored["awarded_on_date"] == clock.now.date()
    assert (stored["awarded_last_name"], stored["awarded_first_name"], stored["awarded_middle_name"]) == (
        "Graduate001", "Casey", "Lee")
    assert store.count(pasi_system.engine, t.TranscriptTrigger, source_ref_id=answer.CredentialNumber) == 1


def test_answers_come_one_per_asn_in_request_order_and_a_request_can_partly_succeed(pasi_system):
    asns = [p.C_NOTHING, p.C_READY, p.UNKNOWN, p.C_SEVERAL]
    answers = pasi_system.awards(asns)
    assert [a.StateProvinceId for a in answers] == asns
    assert [a.CredentialNumber != "0" for a in answers] == [False, True, False, True]
    assert answers[3].CredentialType == "AHSD", "the highest of CHSA, HSED and AHSD"
    assert [a.PASICoreVersion for a in answers if a.CredentialNumber == "0"] == [0, 0]


@pytest.mark.parametrize("asn", [p.UNKNOWN, "12345", "ABCDEFGHI"])
def test_9002_an_unknown_asn(pasi_system, asn):
    (answer,) = pasi_system.awards([asn])
    assert rules(answer) == [9002] and answer.CredentialNumber == "0"
    assert messages(answer) == [f"Invalid Alberta Student Number. The ASN provided ({asn}) either does not "
                                "exist or is not accessible. Retry, using the correct ASN."]


def test_44013_a_deactivated_asn(pasi_system):
    (answer,) = pasi_system.awards([p.C_DEACTIVATED])
    assert rules(answer) == [44013] and credentials_of(pasi_system.engine, p.C_DEACTIVATED) == []


def test_44014_a_secondary_asn(pasi_system):
    (answer,) = pasi_system.awards([p.C_SECONDARY])
    assert rules(answer) == [44014]
    assert messages(answer) == [f"Invalid Alberta Student Number. The Alberta Student Number Provided "
                                f"({p.C_SECONDARY}) should not be used. Use {p.C_READY} instead."]


def test_44011_a_credential_awarded_singly_only_blocks_the_bulk_award(pasi_system):
    (answer,) = pasi_system.awards([p.C_HONORARY])
    assert rules(answer) == [44011] and credentials_of(pasi_system.engine, p.C_HONORARY) == []


def test_99021_nothing_achieved(pasi_system):
    (answer,) = pasi_system.awards([p.C_NOTHING])
    assert rules(answer) == [99021]


def test_44010_already_awarded(pasi_system):
    (answer,) = pasi_system.awards([p.C_AWARDED])
    assert rules(answer) == [44010] and answer.CredentialType == "AHSD"
    assert messages(answer) == [f"Credential was not awarded. The Student Number ({p.C_AWARDED}) has already "
                                "been awarded Credential (Alberta High School Diploma)."]


def test_44010_counts_only_an_undeleted_credential(pasi_system, db):
    store.load(db, {"StudentCredentials": [{"CredentialNumber": p.AWARDED_NUMBER, "StateProvinceId": p.C_AWARDED,
                                            "CredentialType": "AHSD", "AwardedOnDate": "2025-07-20",
                                            "SchoolYear": 2025, "IsDeleted": True,
                                            "DeleteReason": "Ministry error"}]})
    (answer,) = pasi_system.awards([p.C_AWARDED])
    assert rules(answer) == [] and answer.CredentialNumber != p.AWARDED_NUMBER


def test_44012_a_higher_order_credential_is_awarded(pasi_system):
    (answer,) = pasi_system.awards([p.C_BLOCKED])
    assert rules(answer) == [44012] and answer.CredentialType == "CHSA"


def test_44008_the_school_year_cannot_be_determined(pasi_system):
    (answer,) = pasi_system.awards([p.C_NO_MARKS])
    assert rules(answer) == [44008]


def test_44004_an_unreasonable_school_year(pasi_system):
    (answer,) = pasi_system.awards([p.C_TOO_YOUNG])
    assert rules(answer) == [44004]
    assert "The school year, set to 2007/2008, may not be on or before" in messages(answer)[0]


def test_school_year_of_cosc_comes_from_the_latest_enrolment(pasi_system):
    (answer,) = pasi_system.awards([p.C_COSC])
    assert rules(answer) == [] and credentials_of(pasi_system.engine, p.C_COSC)[0]["school_year"] == 2026


def test_school_year_of_hsed_by_ged_comes_from_the_latest_passing_ged_mark(pasi_system):
    (answer,) = pasi_system.awards([p.C_GED])
    assert rules(answer) == [] and answer.CredentialType == "HSED"
    assert credentials_of(pasi_system.engine, p.C_GED)[0]["school_year"] == 2023


def test_a_student_is_awarded_at_most_once_per_request(pasi_system):
    answers = pasi_system.awards([p.C_SEVERAL, p.C_SEVERAL])
    assert rules(answers[0]) == [] and rules(answers[1]) == [99020]
    assert len(credentials_of(pasi_system.engine, p.C_SEVERAL)) == 1


def test_awarding_twice_awards_once(pasi_system):
    (first,) = pasi_system.awards([p.C_READY])
    (second,) = pasi_system.awards([p.C_READY])
    assert rules(first) == [] and rules(second) == [44010]
    assert len(credentials_of(pasi_system.engine, p.C_READY)) == 1


PAIRS = [(awarded, achieved) for awarded in p.AWARDING_ORDER for achieved in p.AWARDING_ORDER
         if awarded != achieved]


def test_the_awarding_order_row_by_row(pasi_system):
    """Reference §4.2: holding the row's credential, which achieved credentials may still be awarded."""
    answers = by_asn(pasi_system.awards([p.pair_asn(awarded, achieved) for awarded, achieved in PAIRS]))
    for awarded, achieved in PAIRS:
        answer = answers[p.pair_asn(awarded, achieved)]
        if achieved in p.ALLOWED_AFTER[awarded]:
            assert rules(answer) == [] and answer.CredentialType == achieved, (awarded, achieved)
        else:
            assert rules(answer) == [44012], (awarded, achieved, rules(answer))


def test_only_pasi_system_users_may_award(pasi_system):
    before = store.count(pasi_system.engine, t.StudentCredential)
    with pytest.raises(Fault) as refused:
        pasi_system.award([p.C_READY], organization="S.0001")
    assert refused.value.detail[0].findtext("{urn:pasi-core-mirror:common:2026}RuleId") == "1007"
    assert store.count(pasi_system.engine, t.StudentCredential) == before


def test_a_resubmitted_request_returns_the_same_credential_numbers(pasi_system):
    first = pasi_system.award([p.C_READY, p.C_GED], message_id="award-once")
    again = pasi_system.award([p.C_READY, p.C_GED], message_id="award-once")
    numbers = lambda r: [x.CredentialNumber for x in r.SubmitCredentialResponses.SubmitCredentialResponse]
    assert numbers(first) == numbers(again) and again.MessageID == first.MessageID
    assert len(credentials_of(pasi_system.engine, p.C_READY)) == 1
