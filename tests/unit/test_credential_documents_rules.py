"""The rules of credential document production as plain functions: the manual status changes,
the Credential Processing Agent's checks, mailing order and envelopes, and the templates."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from operations.credential_documents import rules
from operations.credential_documents.model import (
    STATUS_LABELS,
    STATUSES,
    AwardedCredential,
    DocumentItem,
    ItemKey,
    MailingAddress,
)
from pasi_core.documents.rendering import formatted_asn, long_date
from pasi_core.documents.templates import PACKAGE_TEMPLATES, load_templates
from pasi_core.kernel.errors import ConfigurationError

pytestmark = pytest.mark.unit

CANADIAN = MailingAddress(("1 Main St",), "Edmonton", "AB", "T5J 0N3", "Canada")
AMERICAN = MailingAddress(("9 Elm St",), "Boise", "ID", "83702", "United States")
ABROAD = MailingAddress(("Rue de la Paix 3", "75002 Paris"), None, None, None, "France")
CREDENTIAL = AwardedCredential("1000000001", "AHSD", "Ana", None, "Lee", date(2026, 6, 30), False)


def item(number: int, address: MailingAddress | None = CANADIAN, name: str = "Ana Lee", **changes) -> DocumentItem:
    values = dict(key=ItemKey(1, number), asn="123456789", document_type="AHSD",
                  delivery_method="AutomatedPlusCardboard", language="EN", copies=1, recipient_name=name,
                  address=address, address_from_student=False, credential=CREDENTIAL, first_run=True, generation=0,
                  status="Ordered")
    values.update(changes)
    return DocumentItem(**values)


DOCUMENTED = {("Ordered", "Cancelled"), ("Ordered", "OnHold"), ("OnHold", "Cancelled"), ("OnHold", "Ordered"),
              ("SystemHold", "Cancelled"), ("SystemHold", "Ordered"), ("Sent", "FailedDelivery"),
              ("Sent", "DeliveredInError"), ("FailedDelivery", "DeliveredInError"),
              ("DeliveredInError", "FailedDelivery")}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_only_the_documented_manual_transitions_are_allowed(current, target):
    if (current, target) in DOCUMENTED:
        rules.check_status_change(current, target)
        return
    with pytest.raises(rules.DocumentStatusRefused) as refused:
        rules.check_status_change(current, target)
    assert STATUS_LABELS[current] in refused.value.message
    assert (refused.value.from_status, refused.value.to_status) == (current, target)


def test_an_address_is_complete_as_rule_60108_says():
    assert rules.address_is_complete(CANADIAN) and rules.address_is_complete(AMERICAN)
    assert rules.address_is_complete(ABROAD), "street and country are enough outside Canada and the US"
    assert not rules.address_is_complete(None)
    assert not rules.address_is_complete(MailingAddress(("1 Main St",), "Edmonton", "AB", None, "Canada"))
    assert not rules.address_is_complete(MailingAddress(("  ",), None, None, None, "France"))


def test_an_item_without_an_address_is_held_with_the_documented_reason():
    errors = rules.document_errors(item(1, address=None), title_known=True)
    assert [e.code for e in errors] == [rules.NO_ADDRESS]
    assert rules.hold_reason(errors) == "Document Order with No Address"
    rescinded = item(2, credential=AwardedCredential("1", "AHSD", None, None, "Lee", date(2026, 6, 30), True))
    errors = rules.document_errors(rescinded, title_known=True)
    assert [e.code for e in errors] == [rules.RESCINDED]
    assert rules.hold_reason(errors) == "Document Generation Error"
    assert rules.document_errors(item(3), title_known=True) == []
    assert [e.code for e in rules.document_errors(item(4), title_known=False)] == [rules.NO_TITLE]


def test_mailing_order_puts_canada_first_and_copies_for_one_address_in_one_envelope():
    same_place = MailingAddress(("1  main st",), "EDMONTON", "AB", "T5J0N3", "canada")
    ordered = rules.mailing_order([item(1, ABROAD), item(2, AMERICAN), item(3, CANADIAN),
                                   item(4, same_place, name="ana  lee"), item(5, CANADIAN, name="Bo Chen")])
    assert {i.key.item_number for i in ordered[:3]} == {3, 4, 5}
    assert [i.address.destination for i in ordered] == ["Canada", "Canada", "Canada", "United States",
                                                        "International"]
    envelopes = rules.envelopes(ordered)
    assert [e.sequence for e in envelopes] == [1, 2, 3, 4]
    assert {i.key.item_number for i in envelopes[0].items} == {3, 4}, "same recipient, same address"
    assert rules.envelope_counts(envelopes) == {"Canada": 2, "United States": 1, "International": 1}


def test_the_address_block_follows_canada_posts_layout():
    assert CANADIAN.block() == ("1 Main St", "Edmonton AB  T5J 0N3")
    assert ABROAD.block() == ("Rue de la Paix 3", "75002 Paris", "FRANCE")


def test_dates_and_asns_as_the_documents_print_them():
    assert long_date(date(2026, 7, 1), "FR") == "1er juillet 2026"
    assert long_date(date(2026, 6, 30), "FR") == "30 juin 2026"
    assert long_date(date(2026, 6, 30), "EN") == "June 30, 2026"
    assert formatted_asn("123456789") == "1234-5678-9"


def test_the_package_templates_load():
    templates = load_templates()
    assert templates.credential.page_size == (792.0, 612.0)
    assert templates.titles[("ADVD", "FR")] == "Diplôme d’études secondaires avancées"


def edited(tmp_path: Path, name: str, old: str, new: str) -> str:
    text = (PACKAGE_TEMPLATES / name).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(tmp_path)


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("credential.toml", 'EN = "{credential_title}"', 'EN = "{credential_titel}"', "{credential_titel} is not one of"),
    ("credential.toml", 'FR = "{awarded_name}"\n', "\n", "the FR wording is missing"),
    ("credential.toml", 'font = "serif-bold"', 'font = "comic"', "font must be one of"),
    ("first-run-letter.toml", 'size = "letter"', 'size = "legal"', "size must be one of"),
    ("first-run-letter.toml", "x = 72", "x = 9000", "x and y must be on the page"),
    ("reprint-letter.toml", "[page]", "[page", "document template"),
    ("titles.toml", "[FR]", "[DE]", "sections are [EN] and [FR]"),
])
def test_a_broken_template_is_a_clear_error_naming_the_file_and_text(tmp_path, name, old, new, message):
    folder = edited(tmp_path, name, old, new)
    with pytest.raises(ConfigurationError) as refused:
        load_templates(folder)
    assert message in refused.value.message and name in refused.value.message


def test_an_edited_template_replaces_the_packages(tmp_path):
    folder = edited(tmp_path, "credential.toml", "The Province of Alberta", "Province of Alberta, Canada")
    templates = load_templates(folder)
    assert templates.credential.texts[0].wording["EN"] == "Province of Alberta, Canada"
    assert templates.first_run_letter == load_templates().first_run_letter
