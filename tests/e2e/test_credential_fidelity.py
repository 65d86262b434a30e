"""SubmitCredentialAwardingMultiple and ConstructDocumentOrder where PASI's documentation and
Student Records' first-day use showed gaps: credential numbers, Alberta's date, the awarding
order's fallback, and the order rules (44017's scope, duplicates, 9023, 60108, 3004 on a
deleted order).  Through zeep, with the stored rows checked."""
from __future__ import annotations

from datetime import datetime

from pasi_core.kernel import credential_numbers
from persistence import models as t
from tests.e2e.test_credential_awarding import credentials_of, rules
from tests.e2e.test_document_orders import ADDRESS, item, order, orders
from tests.support import province as p
from tests.support import store

FALLBACK = "300000020"


# --- credential numbers --------------------------------------------------------------------------
def test_a_stored_number_equal_to_the_next_generated_one_is_skipped(pasi_system):
    (first,) = pasi_system.awards([p.C_READY])
    serial = int(first.CredentialNumber[:9])
    taken = credential_numbers.with_check_digit(serial + 1)  # what the sequence hands out next
    store.load(pasi_system.engine, {"StudentCredentials": [{
        "CredentialNumber": taken, "StateProvinceId": p.C_AWARDED, "CredentialType": "AHSD",
        "AwardedOnDate": "2020-07-20", "SchoolYear": 2020, "AwardedLastName": "Historical"}]})

    (second,) = pasi_system.awards([p.C_SEVERAL])
    assert rules(second) == [] and second.CredentialNumber not in ("0", taken)
    assert credentials_of(pasi_system.engine, p.C_SEVERAL)[0]["credential_number"] == second.CredentialNumber


def test_historical_numbers_load_as_pasi_writes_them(pasi_system):
    store.load(pasi_system.engine, {"StudentCredentials": [{
        "CredentialNumber": "12345-67891", "StateProvinceId": p.C_NOTHING, "CredentialType": "AHSD",
        "AwardedOnDate": "2019-07-20", "SchoolYear": 2019, "AwardedLastName": "Historical"}]})
    assert not credential_numbers.has_our_check_digit("1234567891")
    assert store.row(pasi_system.engine, t.StudentCredential, credential_number="1234567891")["asn"] == p.C_NOTHING


# --- Alberta's date ----------------------------------------------------------------------------------
def test_an_award_at_2130_in_edmonton_is_dated_that_day_not_the_next(pasi_system, clock):
    clock.now = datetime(2026, 7, 1, 3, 30)  # 30 June 2026, 21:30 in Edmonton
    (answer,) = pasi_system.awards([p.C_READY])
    assert rules(answer) == []
    (stored,) = credentials_of(pasi_system.engine, p.C_READY)
    assert stored["awarded_on_date"].isoformat() == "2026-06-30"


# --- the awarding order --------------------------------------------------------------------------------
def test_a_blocked_highest_credential_falls_back_to_the_highest_the_table_allows(pasi_system):
    """Reference §4.2: a CHSA holder may still be awarded AHSD or HSED; ADEX is blocked."""
    store.load(pasi_system.engine, {
        "Students": [{"StateProvinceId": FALLBACK, "LegalLastName": "Fallback", "BirthDate": "2007-05-01"}],
        "SchoolEnrolments": [{"StateProvinceId": FALLBACK, "OrganizationCode": "S.0001", "SchoolYear": 2026}],
        "OfficialMarks": [{"StateProvinceId": FALLBACK, "CourseCode": "ELA30-1", "SchoolYear": 2025,
                           "MarkValue": "70", "CreditsAwarded": 5}],
        "CredentialAchievements": [{"StateProvinceId": FALLBACK, "CredentialType": kind,
                                    "RequirementSet": f"{kind}-SET", "Status": "Achieved"}
                                   for kind in ("ADEX", "HSED")],
        "StudentCredentials": [{"CredentialNumber": "9000099995", "StateProvinceId": FALLBACK,
                                "CredentialType": "CHSA", "AwardedOnDate": "2025-07-20", "SchoolYear": 2025,
                                "AwardedLastName": "Fallback"}]})
    (answer,) = pasi_system.awards([FALLBACK])
    assert rules(answer) == [] and answer.CredentialType == "HSED"


def test_near_miss_an_awarded_equivalent_still_blocks_with_44012(pasi_system):
    (answer,) = pasi_system.awards([p.C_BLOCKED])  # AHSD awarded, CHSA achieved
    assert rules(answer) == [44012]


# --- ConstructDocumentOrder ----------------------------------------------------------------------------
def test_44017_applies_to_first_time_orders_not_to_mypass_reprints(pasi_system):
    assert rules(pasi_system.order(**order([item()]))) == []
    assert rules(pasi_system.order(**order([item()]))) == [44017]
    reprint = pasi_system.order(**order([item(NumberOfCopies=2, AmountCollected="20.00")],
                                        EducationAccountIdentifier="EA-123456", PaymentMethod="CreditCard",
                                        PaymentTransactionId="TX-42"))
    assert rules(reprint) == [] and len(orders(pasi_system.engine)) == 2


def test_the_same_credential_twice_in_one_order_is_refused(pasi_system):
    response = pasi_system.order(**order([item(), item()]))
    assert rules(response) == [99035] and response.DocumentOrderId == 0
    assert orders(pasi_system.engine) == []


def test_a_credential_item_must_name_its_credential_number(pasi_system):
    response = pasi_system.order(**order([item(credential=None)]))
    assert 99036 in rules(response) and orders(pasi_system.engine) == []


def _under_construction(pasi_system, **fields):
    created = pasi_system.order(**order([item(**fields)], status="UnderConstruction"))
    assert rules(created) == []
    return created


def test_9023_sees_a_change_of_any_stored_field(pasi_system):
    created = _under_construction(pasi_system)
    version = created.PASICoreVersion
    changes = ({"ProcessExpectation": "Rush"}, {"ProcessExpectation": "Rush", "FaxNumber": "780-555-0100"})
    for change in changes:
        updated = pasi_system.order(**order([item(DocumentOrderItemNumber=1, **change)],
                                            order_id=created.DocumentOrderId, version=version,
                                            status="UnderConstruction"))
        assert rules(updated) == [] and updated.PASICoreVersion > version, change
        version = updated.PASICoreVersion
    placed = pasi_system.order(**order([item(DocumentOrderItemNumber=1, **changes[-1])],
                                       order_id=created.DocumentOrderId, version=version,
                                       status="UnderConstruction", OrderPlacedUtcTime=datetime(2026, 3, 1, 12)))
    assert rules(placed) == []
    same = pasi_system.order(**order([item(DocumentOrderItemNumber=1, **changes[-1])],
                                     order_id=created.DocumentOrderId, version=placed.PASICoreVersion,
                                     status="UnderConstruction", OrderPlacedUtcTime=datetime(2026, 3, 1, 12)))
    assert rules(same) == [9023]


def _transcript(**address):
    return item(asn=p.C_READY, document_type="TRANSCRIPT", credential=None, address=False, **address)


def test_60108_a_canadian_address_needs_city_province_and_postal_code(pasi_system):
    street_only = {"AddressLines": {"AddressLine": ["10 Main Street"]}, "CountryName": "Canada"}
    assert 60108 in rules(pasi_system.order(**order([_transcript(**street_only)])))
    assert rules(pasi_system.order(**order([_transcript(**ADDRESS)]))) == []
    abroad = {"AddressLines": {"AddressLine": ["12 Rue de Rivoli", "75001 Paris"]}, "CountryName": "France"}
    assert rules(pasi_system.order(**order([_transcript(**abroad)]))) == []


def test_3004_a_deleted_order_reports_version_zero_and_zero_restores_it(pasi_system):
    created = _under_construction(pasi_system)
    deleted = pasi_system.order(**order([item(DocumentOrderItemNumber=1)], order_id=created.DocumentOrderId,
                                        version=created.PASICoreVersion, status="UnderConstruction",
                                        IsDeleted=True))
    assert rules(deleted) == []
    stale = pasi_system.order(**order([item(DocumentOrderItemNumber=1)], order_id=created.DocumentOrderId,
                                      version=created.PASICoreVersion, status="UnderConstruction"))
    assert rules(stale) == [3004]
    assert f"Core (0) and Client ({created.PASICoreVersion})" in stale.Rejections.Rejection[0].Message
    restored = pasi_system.order(**order([item(DocumentOrderItemNumber=1)], order_id=created.DocumentOrderId,
                                         version=0, status="UnderConstruction"))
    assert rules(restored) == []
    assert store.row(pasi_system.engine, t.DocumentOrder, id=created.DocumentOrderId)["is_deleted"] is False
