"""The rule catalogue: every rule is findable by number, documented, and renders."""
from __future__ import annotations

import inspect
import re

import pytest

from operations.construct_document_order import rules as order_rules
from operations.submit_credential_awarding_multiple import rules as award_rules
from operations.submit_diploma_exam_mark import rules
from pasi_core.app.rule_docs import render_markdown, rule_functions
from pasi_core.kernel import rule_catalogue
from tests.support.servers import PROJECT_ROOT

# The rules issue #2 asks SubmitDiplomaExamMark to enforce, plus the update-shape rules.
SUBMIT_DIPLOMA_EXAM_MARK_RULES = {
    3004, 9023, 9067, 9068, 9009, 9011, 9016, 9017, 9018, 9024, 9032, 9059, 9063, 40500, 40501,
    40504, 40509, 40513, 40530, 40531, 40532, 40534, 40536, 40540, 40541, 40542, 40544, 40547,
    40552, 40553, 40554, 40555, 40557, 40558, 40559, 40567, 62020, 62022, 62023, 62024, 99001}
# Rules whose pages are lost must not be invented (spec §5); removed ones are not implemented.
NOT_IMPLEMENTED = {40502, 40503, 40507, 40508, 40510, 40526, 40539, 9062, 44000,
                   40535, 40538, 40511, 40550}


def test_every_required_rule_has_a_function_named_after_its_number_in_the_evaluation_list():
    assert not (NOT_IMPLEMENTED & set(rule_catalogue.CATALOGUE)), "lost or removed rules are not invented"
    listed = {int(re.match(r"rule_(\d+)_", f.__name__).group(1)) for f in rules.RULES}
    assert listed >= SUBMIT_DIPLOMA_EXAM_MARK_RULES
    assert not (listed & NOT_IMPLEMENTED)
    exam_mark_functions = {number for number, names in rule_functions().items()
                           if any(".submit_diploma_exam_mark." in name for name in names)}
    assert exam_mark_functions == listed


@pytest.mark.parametrize("module", [rules, award_rules, order_rules])
def test_every_rule_a_function_can_return_is_in_the_catalogue_with_its_own_number(module):
    source = inspect.getsource(module)
    returned = {int(n) for n in re.findall(r"Violation\((\d+)", source)}
    assert returned <= set(rule_catalogue.CATALOGUE)
    for function in getattr(module, "RULES", ()):
        number = int(re.match(r"rule_(\d+)_", function.__name__).group(1))
        assert {int(n) for n in re.findall(r"Violation\((\d+)", inspect.getsource(function))} <= {number}


@pytest.mark.parametrize("number", sorted(rule_catalogue.CATALOGUE))
def test_every_message_renders_with_its_placeholders(number):
    rule = rule_catalogue.rule(number)
    params = {name: f"<{name}>" for name in rule.placeholders}
    message = rule_catalogue.render(number, params)
    assert "{" not in message and all(f"<{name}>" in message for name in rule.placeholders)
    if rule.placeholders:  # a missing value is a programming error, never an unfilled message
        with pytest.raises(KeyError):
            rule_catalogue.render(number, {})
    else:
        assert rule_catalogue.render(number, {}) == rule.template


def test_documented_messages_are_kept_word_for_word():
    assert rule_catalogue.render(40540, {"ASN": "123456789"}) == (
        "Invalid Exam Mark. An Exam Mark registration record already exists for this student "
        "(ASN123456789), exam period, exam component, and writing centre.")
    assert rule_catalogue.render(40553, {"ASN": "1"}).endswith(
        "has exceeded the maximum number Exam Mark records allowed to be created for a student.")


def test_our_own_numbers_are_in_our_range_and_marked():
    for number, rule in rule_catalogue.CATALOGUE.items():
        if number >= 99000:
            assert rule.rule_is_ours and rule.message_is_ours
    for number in (40501, 40504, 9024, 40534):
        assert rule_catalogue.rule(number).message_is_ours


def test_docs_rules_md_is_generated_from_the_catalogue():
    committed = (PROJECT_ROOT / "docs" / "rules.md").read_text()
    assert committed == render_markdown()
    for number in SUBMIT_DIPLOMA_EXAM_MARK_RULES:
        assert f"| {number} |" in committed
