"""ConstructDocumentOrder through zeep on the PASISystem endpoint: all or nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from persistence import models as t
from tests.support import province as p

ADDRESS = {"AddressLines": {"AddressLine": ["10 Main Street"]}, "CityName": "Red Deer",
           "StateProvinceCode": "AB", "PostalCode": "T4N 1A1", "CountryName": "Canada"}


def item(asn=p.C_AWARDED, document_type="AHSD", credential=p.AWARDED_NUMBER, delivery="ManualMail",
         address=True, **extra):
    fields = {"StateProvinceId": asn, "DocumentType": document_type, "DocumentDeliveryMethod": delivery,
              "DocumentLanguage": "EN", "ProcessExpectation": "Standard", "NumberOfCopies": 1,
              "AmountCollected": Decimal("0.00"), "RecipientIsStudent": True, "RecipientName": "Casey Graduate"}
    if credential:
        fields["CredentialNumber"] = credential
    if address:
        fields.update(ADDRESS)
    fields.update(extra)
    return fields


def order(items, order_id=0, version=0, status="Ordered", **extra):
    return {"DocumentOrderId": order_id, "PASICoreVersion": version, "BillingInformationId": 0,
            "OrderReceivedMethod": "NotApplicable", "OrderStatus": status, "IsDeleted": False,
            "DocumentOrderItems": {"DocumentOrderConstructRequestItem": items}, **extra}


def rules(response):
    return [r.RuleId for r in response.Rejections.Rejection] if response.Rejections else []


def orders(engine):
    with engine.connect() as connection:
        return connection.execute(select(t.DocumentOrder.__table__)).mappings().all()


def items_of(engine, order_id):
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(t.DocumentOrderItem.__table__).where(
            t.DocumentOrderItem.order_id == order_id).order_by(t.DocumentOrderItem.item_number)).mappings()]


def test_a_credential_order_is_created_ordered(pasi_system):
    response = pasi_system.order(**order([item()], RequestorName="Alberta Education"))
    assert rules(response) == [] and response.DocumentOrderId > 0 and response.PASICoreVersion > 0
    (stored,) = orders(pasi_system.engine)
    assert stored["id"] == response.DocumentOrderId and stored["order_status"] == "Ordered"
    (line,) = items_of(pasi_system.engine, response.DocumentOrderId)
    assert (line["item_number"], line["status"], line["credential_number"], line["city"]) == (
        1, "Ordered", p.AWARDED_NUMBER, "Red Deer")


def test_an_order_is_updated_while_under_construction_and_items_left_out_are_removed(pasi_system):
    created = pasi_system.order(**order([item(), item(asn=p.C_READY, document_type="TRANSCRIPT", credential=None)],
                                        status="UnderConstruction"))
    assert rules(created) == []
    lines = items_of(pasi_system.engine, created.DocumentOrderId)
    assert [l["status"] for l in lines] == ["UnderConstruction", "UnderConstruction"]
    kept = item(DocumentOrderItemNumber=1, NumberOfCopies=2)
    added = item(asn=p.C_GED, document_type="LETTER", credential=None)
    updated = pasi_system.order(**order([kept, added], order_id=created.DocumentOrderId,
                                        version=created.PASICoreVersion))
    assert rules(updated) == [] and updated.PASICoreVersion > created.PASICoreVersion
    lines = items_of(pasi_system.engine, created.DocumentOrderId)
    assert [(l["item_number"], l["number_of_copies"], l["status"]) for l in lines] == [
        (1, 2, "Ordered"), (3, 1, "Ordered")]


def test_3004_an_update_needs_the_current_version(pasi_system):
    created = pasi_system.order(**order([item()], status="UnderConstruction"))
    stale = pasi_system.order(**order([item(DocumentOrderItemNumber=1, NumberOfCopies=3)],
                                      order_id=created.DocumentOrderId, version=created.PASICoreVersion + 5))
    assert rules(stale) == [3004] and stale.DocumentOrderId == created.DocumentOrderId


def test_60113_and_60114_an_ordered_order_can_no_longer_change(pasi_system):
    created = pasi_system.order(**order([item()]))
    change = pasi_system.order(**order([item(DocumentOrderItemNumber=1, NumberOfCopies=2)],
                                       order_id=created.DocumentOrderId, version=created.PASICoreVersion))
    assert 60113 in rules(change)
    delete = pasi_system.order(**order([item(DocumentOrderItemNumber=1)], order_id=created.DocumentOrderId,
                                       version=created.PASICoreVersion, IsDeleted=True))
    assert 60114 in rules(delete)
    assert items_of(pasi_system.engine, created.DocumentOrderId)[0]["number_of_copies"] == 1


def test_all_or_nothing_one_bad_item_saves_nothing(pasi_system):
    response = pasi_system.order(**order([item(), item(asn=p.UNKNOWN, credential=None, document_type="LETTER")]))
    assert rules(response) == [9002] and response.DocumentOrderId == 0
    assert response.Rejections.Rejection[0].FieldPath == "DocumentOrderItems[1].StateProvinceId"
    assert orders(pasi_system.engine) == []


def test_60108_physical_delivery_needs_an_address_except_for_credentials(pasi_system):
    transcript = pasi_system.order(**order([item(asn=p.C_READY, document_type="TRANSCRIPT", credential=None,
                                                 address=False)]))
    assert rules(transcript) == [60108]
    assert transcript.Rejections.Rejection[0].Message == (
        "Missing Recipient. A mailing address for the recipient must be specified for a document order "
        "with ManualMail delivery method.")
    download = pasi_system.order(**order([item(asn=p.C_READY, document_type="TRANSCRIPT", credential=None,
                                               address=False, delivery="Download")]))
    assert rules(download) == []
    credential = pasi_system.order(**order([item(address=False)]))
    assert rules(credential) == [], "credential orders are created without an address and held later"


@pytest.mark.parametrize("bad_item,rule", [
    (dict(document_type="TRANSCRIPT"), 60109),
    (dict(credential=None, document_type="LETTER", ProvidedConsentForSchoolRelease=True), 60109),
    (dict(credential="1234567890"), 44020),
    (dict(asn=p.C_READY), 99033),
    (dict(delivery="PigeonPost"), 60107),
    (dict(document_type="POSTER", credential=None), 99030),
    (dict(DocumentLanguage="XX"), 99030),
    (dict(NumberOfCopies=11), 99034),
    (dict(NumberOfCopies=0), 99034),
    (dict(OperationControlScheduleId=7), 60101),
    (dict(asn=p.C_DEACTIVATED, credential=None, document_type="LETTER"), 9009),
])
def test_item_rules(pasi_system, bad_item, rule):
    arguments = dict(bad_item)
    fields = {k: arguments.pop(k) for k in list(arguments) if k in ("asn", "document_type", "credential", "delivery")}
    response = pasi_system.order(**order([item(**fields, **arguments)]))
    assert rule in rules(response), rules(response)
    assert orders(pasi_system.engine) == []


@pytest.mark.parametrize("changes,rule", [
    (dict(OrderStatus="Shipped"), 99032),
    (dict(OrderReceivedMethod="Telepathy"), 99032),
    (dict(EducationAccountOrganization="S.9999"), 9019),
    (dict(DocumentOrderItems={"DocumentOrderConstructRequestItem": []}), 60130),
    (dict(DocumentOrderId=987654, PASICoreVersion=1), 60400),
])
def test_order_rules(pasi_system, changes, rule):
    response = pasi_system.order(**{**order([item()]), **changes})
    assert rule in rules(response), rules(response)
    assert orders(pasi_system.engine) == []


def test_60111_an_ordered_order_with_money_needs_a_payment_transaction(pasi_system):
    paid = item(asn=p.C_READY, credential=None, document_type="TRANSCRIPT", AmountCollected=Decimal("15.00"))
    assert rules(pasi_system.order(**order([paid]))) == [60111]
    assert rules(pasi_system.order(**order([paid], PaymentTransactionId="TX-1"))) == []


def test_60125_the_order_amount_has_a_maximum(pasi_system):
    costly = item(asn=p.C_READY, credential=None, document_type="TRANSCRIPT", AmountCollected=Decimal("10000.00"))
    assert 60125 in rules(pasi_system.order(**order([costly], PaymentTransactionId="TX-2")))


def test_60112_a_payment_pending_order_only_changes_its_payment(pasi_system):
    pending = pasi_system.order(**order([item(asn=p.C_READY, credential=None, document_type="TRANSCRIPT")],
                                        status="PaymentPending"))
    moved = item(asn=p.C_READY, credential=None, document_type="TRANSCRIPT", DocumentOrderItemNumber=1,
                 CityName="Calgary")
    assert rules(pasi_system.order(**order([moved], order_id=pending.DocumentOrderId,
                                           version=pending.PASICoreVersion, status="PaymentPending"))) == [60112]
    paid = item(asn=p.C_READY, credential=None, document_type="TRANSCRIPT", DocumentOrderItemNumber=1)
    done = pasi_system.order(**order([paid], order_id=pending.DocumentOrderId, version=pending.PASICoreVersion,
                                     PaymentTransactionId="TX-3"))
    assert rules(done) == []


def test_9023_an_identical_update(pasi_system):
    created = pasi_system.order(**order([item()], status="UnderConstruction"))
    same = pasi_system.order(**order([item(DocumentOrderItemNumber=1)], order_id=created.DocumentOrderId,
                                     version=created.PASICoreVersion, status="UnderConstruction"))
    assert rules(same) == [9023]


def test_60115_an_unknown_item_number(pasi_system):
    created = pasi_system.order(**order([item()], status="UnderConstruction"))
    response = pasi_system.order(**order([item(DocumentOrderItemNumber=9)], order_id=created.DocumentOrderId,
                                         version=created.PASICoreVersion))
    assert 60115 in rules(response)


def test_44017_a_credential_is_ordered_once(pasi_system):
    assert rules(pasi_system.order(**order([item()]))) == []
    again = pasi_system.order(**order([item()]))
    assert rules(again) == [44017]
    assert len(orders(pasi_system.engine)) == 1
