"""The rule catalogue: every rule this service can return, by its number.

Rule numbers and the documented messages are contract identifiers copied
from the public PASI knowledge base (``source`` names the page).  Where
PASI's page is lost but the check is known, the message is written in
PASI's style and ``message_is_ours`` says so; rules PASI clearly applies
but never numbers get numbers in our own range (99000-99999,
``rule_is_ours``).  ``docs/rules.md`` is generated from this table.

Messages are templates with named ``{placeholders}`` written as PASI
writes them (spaces and dots included); :func:`render` is the one place
that fills them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

OWN_RULE_RANGE = range(99000, 100000)

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_BUSINESS = "https://extranet.education.alberta.ca/pasidevnet/Docs/Business/"


@dataclass(frozen=True)
class Rule:
    number: int
    name: str
    template: str
    source: str | None = None
    message_is_ours: bool = False

    @property
    def rule_is_ours(self) -> bool:
        return self.number in OWN_RULE_RANGE

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.template))


def _doc(number: int) -> str:
    return f"{_BUSINESS}rule_{number}.html"


_RULES: tuple[Rule, ...] = (
    # --- request level: authentication, authorization, structure (SOAP faults) ---
    Rule(1001, "Certificate Not Registered",
         "Access Denied. The client certificate presented is not registered with PASI.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    Rule(1002, "Certificate Disabled",
         "Access Denied. The client certificate presented has been disabled.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    Rule(1003, "PASI Client Disabled",
         "Access Denied. The PASI client associated with this certificate has been disabled.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    Rule(1004, "Invalid Certification Information",
         "Access Denied. The client certificate information is not valid: the certificate is "
         "expired or not yet valid, or it was presented more than once.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    Rule(1007, "No Access to Service Requested",
         "Access Denied. The client is not authorized to use the {Operation} service.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    Rule(1008, "Invalid Organization Code",
         "Invalid Organization. The organization code provided is not valid for this client.",
         _doc(1008)),
    Rule(3001, "Request Doesn't Match Schema",
         "Invalid Request. The following errors were found in the request: {AdditionalDetails}",
         _doc(3001)),
    Rule(3002, "Request Not Structured Correctly",
         "Invalid Request. The request was not structured correctly.",
         _doc(3002)),
    # IsDataAvailable's notification types, returned inside a 3001 fault as PASI does.
    Rule(3005, "Notification Type is Invalid",
         "Invalid Type and/or School Year. The Type must be a valid Type and if a School Year is "
         "provided it must be between 1905 and 2100. ({SyncTypes})",
         _doc(3005)),
    Rule(3006, "Unexpected School Year Filter",
         "Unexpected School Year. The School Year must not be provided with the following "
         "Types: ({SyncTypes})",
         _doc(3006)),
    Rule(3008, "Missing School Year Filter",
         "Missing School Year. The School Year must be provided with the following Types: "
         "({SyncTypes})",
         _doc(3008)),
    Rule(5001, "Missing Organization Code",
         "Invalid Request. An Organization Code must be provided in the Caller Information.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    Rule(9001, "Unexpected Problem in PASI",
         "Unexpected Problem. PASI was unable to process the request; nothing was saved. "
         "Quote message {MessageID} when reporting it.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    # --- record level: concurrency and updates ---
    Rule(3004, "PASI Core Version Mismatch",
         "Invalid Request. In order to update this record, your information must be up to date "
         "and current. Synchronize your data and try again. Core ({PASICoreVersion_core}) and "
         "Client ({PASICoreVersion_client}) versions are not equal.",
         _doc(3004)),
    Rule(9023, "Empty Update",
         "Invalid Update. The record being updated already matches the data being submitted. "
         "No update was performed.",
         _doc(9023)),
    Rule(9067, "Invalid Update",
         "Invalid Update. A record cannot be updated at the same time if a change to "
         "delete/undelete is provided.",
         _doc(9067)),
    Rule(9068, "Invalid Update",
         "Invalid update to logically deleted record. The only update permitted to a logically "
         "deleted record is to undelete it. No other record fields can be updated when a record "
         "is logically deleted.",
         _doc(9068)),
    # --- student (ASN) ---
    Rule(9009, "Deactivated ASN",
         "Invalid Alberta Student Number. The ASN ({StateProvinceId}) has been deactivated within "
         "PASI. Deactivated ASNs cannot be used.",
         _doc(9009)),
    Rule(9011, "Secondary ASN",
         "Invalid Alberta Student Number. The Alberta Student Number Provided ({SecondaryASN}) "
         "should not be used. Use {PrimaryASN} instead.",
         _doc(9011)),
    Rule(9059, "Invalid Alberta Student Number",
         "Invalid Alberta Student Number. The ASN provided ({StateProvinceId}) either does not "
         "exist or is not accessible.",
         _doc(9059)),
    Rule(9063, "Alberta Student Number cannot be Updated",
         "Alberta Student Number {ASN} cannot be updated for this student record type.",
         _doc(9063)),
    Rule(40544, "Invalid Record - Secondary ASN",
         "Invalid record. The Alberta Student Number provided, ({SecondaryASN}), is a Secondary "
         "ASN and can not be used. Use the student's Primary ASN, {PrimaryASN}, instead.",
         _doc(40544)),
    Rule(40558, "Invalid Exam Mark ASN Update",
         "Invalid Exam Mark ASN Update. The Alberta Student Number on an existing Exam Mark record "
         "cannot be updated to reference a different student.",
         _doc(40558)),
    # --- mark values and formats ---
    Rule(9016, "Invalid Percentage for Mark Value",
         "Invalid Percentage Mark Value. The Mark Value ({MarkValue}) must be a whole number "
         "between 0 and 100 when the Mark Format is Percentage.",
         _doc(9016)),
    Rule(9017, "Invalid Letter Grade for Mark Value",
         "Invalid Letter Grade Mark Value. A Mark Value of '{MarkValue}' is not an accepted Letter "
         "Grade for the School Year {SchoolYear}.",
         _doc(9017)),
    Rule(9018, "Invalid Pass/Fail Grade for Mark Value",
         "Invalid Pass/Fail Mark Value. A Mark Value of '{MarkValue}' is not an accepted value for "
         "a Pass/Fail mark. Mark Value must be P or F.",
         _doc(9018)),
    Rule(9024, "Mark Cannot contain Leading Zeros",
         "Invalid Mark Value. The value ({MarkValue}) cannot contain leading zeros.",
         _BUSINESS + "validation_rules_between_1_and_9999.html", message_is_ours=True),
    Rule(9032, "Invalid Numeric Score for Mark Value",
         "Invalid Numerical Score Mark Value. The Mark Value supplied ({Mark Value}) is invalid. "
         "The Mark Value must be a whole number between 0 and 999 when the Mark Format is "
         "Numerical Score.",
         _doc(9032)),
    Rule(40504, "Unexpected Exam Mark Value",
         "Unexpected Exam Mark Value. A Mark Value cannot be provided when the Exam Mark Status "
         "is {ExamMarkStatus}.",
         _doc(40504), message_is_ours=True),
    Rule(40509, "Missing Component Mark Value",
         "Missing Component Mark Value. A mark value is required for component ({ComponentCode}) "
         "of exam ({ExamMarkReferenceID}) because the component mark status is "
         "({ComponentMarkStatus}) and the associated exam component has a IsMarkReportable value "
         "of {IsMarkReportable}.",
         _doc(40509)),
    Rule(40513, "Unexpected Component Mark Value",
         "Unexpected Component Mark Value. A mark value can not be provided on component "
         "({ComponentCode}) of exam ({ExamMarkReferenceID}) because the associated exam component "
         "has a IsMarkReportable value of {IsMarkReportable}.",
         _doc(40513)),
    Rule(40547, "Missing Component Mark Format",
         "Missing Component Mark Format. For Exam ({ExamMarkReferenceID}) and Component Code "
         "({ComponentCode}), a Component Mark Format must be provided when the Component Mark "
         "Value is provided.",
         _doc(40547)),
    Rule(40567, "Cannot Delete Diploma Exam Mark Record",
         "Cannot Delete Diploma Exam Mark Record. Before the Diploma Exam Mark Record can be "
         "deleted, the existing mark value must be removed.",
         _doc(40567)),
    # --- exam, sittings and components ---
    Rule(40501, "Cannot Change Exam Period, School Year or Course Code",
         "Invalid Exam Mark Update. The Exam Period, School Year and Course Code of an existing "
         "Diploma Exam Mark cannot be changed (from {OriginalExamSession} to {NewExamSession}).",
         _doc(40501), message_is_ours=True),
    Rule(40530, "Invalid Exam",
         "Invalid Exam. The Exam ({ExamMark.ExamReferenceID}) submitted does not match the Exam "
         "linked to the Exam Sitting.",
         _doc(40530)),
    Rule(40531, "Invalid Exam Sitting",
         "Invalid Exam Sitting. The Exam Sitting Reference ID {ExamMark.ExamSittingID} does not "
         "exist.",
         _doc(40531)),
    Rule(40532, "Deleted Exam Sitting",
         "Deleted Exam Sitting. The Exam Sitting {ExamMark:ExamSitting} submitted is deleted.",
         _doc(40532)),
    Rule(40534, "Invalid Diploma Exam Component Registration",
         "Invalid Diploma Exam Component Registration. Exactly one component mark is required "
         "for each component of exam ({ExamMarkReferenceID}); {Problem}.",
         _BUSINESS + "component_maximum_mark.html", message_is_ours=True),
    # --- authorization that depends on the caller ---
    Rule(40536, "Unauthorized User - Exam Mark Status",
         "Unauthorized user. You are not authorized to add/update Diploma Exam Marks or "
         "Registrations after the registration deadline.",
         _doc(40536)),
    Rule(40541, "Unauthorized User - Special Exam Sitting",
         "Unauthorized user. You are not authorized to submit, modify, or delete an Exam Mark for "
         "a “Special” Exam Sitting.",
         _doc(40541)),
    Rule(40555, "Exam Mark Registration is part of an Open Request",
         "Exam Mark Registration is part of an Open Request. While the Exam Registration Request "
         "is still Open, it can only be modified through myPass.",
         _doc(40555)),
    Rule(40559, "Unauthorized update of Diploma Exam Registration for Special Writing Centre",
         "Cannot update Diploma Exam Registration(s) with Special Writing Centre Registrations. "
         "The student has a Diploma Exam Registration that is linked to a “Special” Writing "
         "Centre for {course code} - {course description} in {Exam Period} {School Year}. Only "
         "Alberta Education can add, update, or delete registrations for the same course and "
         "exam session.",
         _doc(40559)),
    Rule(62024, "Unauthorized User - Is Rescored",
         "Unauthorized user. You are not authorized to create or update an Exam Mark record with "
         "Is Rescored = true.",
         _doc(62024)),
    # --- registration timing, uniqueness, capacity, fees ---
    Rule(40500, "Invalid Diploma Exam Registration Submission (school or authority)",
         "Cannot submit or manage a diploma exam registration when a fee is required. This "
         "registration requires a fee of type ”({fee type short description})” and it must be "
         "managed through myPass.",
         _doc(40500)),
    Rule(40540, "Duplicate Exam Mark Component",
         "Invalid Exam Mark. An Exam Mark registration record already exists for this student "
         "(ASN{ASN}), exam period, exam component, and writing centre.",
         _doc(40540)),
    Rule(40542, "Invalid Exam Registration after Registration Deadline",
         "Invalid Exam Registration. Student cannot be registered for this exam after the exam's "
         "registration deadline.",
         _doc(40542)),
    Rule(40552, "Capacity exceeded for Exam Sitting",
         "Capacity exceeded for Exam Sitting. The Diploma Exam Registration cannot be created for "
         "Component {exam component name} as the Exam Sitting {writing center name} - "
         "{location name} is currently at capacity with {count of exam registrations} exam "
         "registrations.",
         _doc(40552)),
    Rule(40553, "Maximum number of Exam Mark records exceeded",
         "Maximum number of Exam Mark records exceeded. Exam Mark record cannot be created as the "
         "ASN {ASN} has exceeded the maximum number Exam Mark records allowed to be created for a "
         "student.",
         _doc(40553)),
    Rule(40554, "Repeated Exam Mark",
         "Invalid Exam Registration. A Diploma Exam Registration record already exists for this "
         "student (ASN {ASN}), exam period, school year and course code.",
         _doc(40554)),
    Rule(40557, "Invalid Exam Mark",
         "Invalid Exam Mark. A Diploma Exam Mark with a Mark Value cannot be submitted before the "
         "Exam's Registration Deadline Date/Time; it must be in the past unless the Exam Mark "
         "Status is Registered.",
         _doc(40557)),
    # --- rescores ---
    Rule(62020, "Cannot Add Rescored Exam Mark",
         "Cannot Add Rescored Exam Mark. Rescored exam results cannot be added to an exam mark "
         "with a rescore request where the status is not “Requested”.",
         _doc(62020)),
    Rule(62022, "Cannot Delete Exam Mark",
         "Cannot Delete Exam Mark. This exam mark cannot be deleted as it has a rescore request "
         "with a status of “Incomplete”, “Requested” or “Rescored”.",
         _doc(62022)),
    Rule(62023, "Cannot Add Duplicate Rescore Exam Mark",
         "Cannot Add Duplicate Rescore Exam Mark. A rescore exam mark already exists for this "
         "student, course and exam session.",
         _doc(62023)),
    # --- credentials: SubmitCredentialAwardingMultiple ---
    Rule(9002, "Invalid ASN",
         "Invalid Alberta Student Number. The ASN provided ({StateProvinceId}) either does not exist "
         "or is not accessible. Retry, using the correct ASN.",
         _doc(9002)),

    Rule(44004, "Unreasonable Awarded Credential School Year",
         "Unreasonable credential awarded school year. The school year, set to {Awarded School Year}, "
         "may not be on or before the year associated to the student's date of birth.",
         _doc(44004)),
    Rule(44008, "Awarded School Year Could Not Be Determined",
         "Credential was not awarded. The awarded school year could not be determined. Award the "
         "credential from the Student Profile - Credentials screen.",
         _doc(44008)),
    Rule(44010, "Credential Already Awarded",
         "Credential was not awarded. The Student Number ({StateProvinceID}) has already been "
         "awarded Credential ({Credential}).",
         _doc(44010)),
    Rule(44011, "Credential To Award Could Not Be Determined",
         "Credential was not awarded. There is a credential available to award that can only be "
         "awarded from the Student Profile - Credentials screen.",
         _doc(44011)),
    Rule(44012, "Higher Order Credential Already Awarded",
         "Credential was not awarded. A higher order or equivalent credential was already awarded to "
         "the student.",
         _doc(44012)),
    Rule(44013, "Credential Management on Deactivated ASN",
         "Invalid Alberta Student Number. The Alberta Student Number ({StateProvinceId}) has been "
         "deactivated within PASI.",
         _doc(44013)),
    Rule(44014, "Credential Management on Secondary ASN",
         "Invalid Alberta Student Number. The Alberta Student Number Provided ({SecondaryASN}) should "
         "not be used. Use {Primary ASN} instead.",
         _doc(44014)),
    Rule(99021, "No Credential To Award",
         "Credential was not awarded. The Student Number ({StateProvinceID}) does not have an "
         "achieved credential to award.",
         None, message_is_ours=True),
    Rule(99020, "ASN Repeated in Request",
         "Credential was not awarded. The Student Number ({StateProvinceId}) appears more than once in "
         "the request; a student is awarded at most one credential per request.",
         None, message_is_ours=True),
    # --- credentials: ConstructDocumentOrder ---
    Rule(9019, "Invalid Organization Code",
         "Invalid Organization Code. The Organization Code provided ({OrganizationCode}) does not "
         "exist within PASI.",
         _doc(9019)),
    Rule(44017, "Selected Credential was already Ordered",
         "Credential order exists. A document order has already been created for this credential. "
         "Use myPass to request additional copies.",
         _doc(44017)),
    Rule(44020, "Invalid Credential Number",
         "Invalid Credential Number. The Credential number does not exist in PASI.",
         _doc(44020)),
    Rule(60101, "Invalid Control Schedule",
         "Invalid Control Schedule. The Control Schedule ({ControlScheduleId}) does not exist.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html", message_is_ours=True),
    Rule(60107, "Invalid Delivery Method",
         "Invalid Delivery Method. The Delivery Method ({DeliveryMethod}) is not a valid delivery "
         "method.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html", message_is_ours=True),
    Rule(60108, "Missing Recipient",
         "Missing Recipient. A mailing address for the recipient must be specified for a document "
         "order with {DeliveryMethod} delivery method.",
         _doc(60108)),
    Rule(60109, "Invalid Attributes for Document Type",
         "Invalid Attributes for Document Type. Transcript Order Specifics can only be supplied for "
         "Transcript Orders, Credential Order Specifics can only be supplied for Credential Orders.",
         _doc(60109)),
    Rule(60111, "Missing Payment Transaction ID",
         "Missing Payment Transaction ID. A Payment Transaction ID must be provided for an Ordered "
         "document order with an amount collected.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html", message_is_ours=True),
    Rule(60112, "Invalid Change for Payment Pending Order",
         "Invalid Change for Payment Pending Order. Only the Document Order Status, Payment "
         "Transaction ID, Order Placed Date, and Amount Collected can be modified on an order that "
         "has a Status of Payment Pending.",
         _doc(60112)),
    Rule(60113, "Invalid Change for Ordered Order",
         "Invalid Change for Ordered Order. A document order with a Status of Ordered can no longer "
         "be changed; change its items with Update Document Order Item.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html", message_is_ours=True),
    Rule(60114, "Cannot Delete Document Order",
         "Cannot Delete Document Order. A document order with a Status of Ordered cannot be deleted.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html", message_is_ours=True),
    Rule(60115, "Invalid Document Order Item",
         "Invalid Document Order Item. There is no document order item that matches the provided "
         "Document Order Identifier and Document Order Item Number.",
         _doc(60115)),
    Rule(60125, "Order amount exceeds maximum value",
         "Invalid Document Order. The total amount of the order exceeds the maximum value of {Maximum}.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html", message_is_ours=True),
    Rule(60130, "Missing Document Order Item(s)",
         "Missing Document Order Item(s). A document order must contain at least one document order "
         "item.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html", message_is_ours=True),
    Rule(60400, "Invalid Document Order",
         "Invalid Document Order. The Document Order requested, {Document Order ID}, does not exist.",
         _BUSINESS + "validation_rules_between_60000_and_69999.html"),
    Rule(99030, "Invalid Document Order Item Code",
         "Invalid Document Order Item. The {Field} ({Code}) is not a valid code.",
         None, message_is_ours=True),
    Rule(99032, "Invalid Document Order Code",
         "Invalid Document Order. The {Field} ({Code}) is not a valid code.",
         None, message_is_ours=True),
    Rule(99033, "Credential Does Not Match Order Item",
         "Invalid Document Order Item. The credential number ({CredentialNumber}) does not belong to "
         "this student, or its credential is not of this document type.",
         None, message_is_ours=True),
    Rule(99034, "Invalid Number of Copies",
         "Invalid Document Order Item. The number of copies ({Copies}) must be between 1 and {Maximum}.",
         None, message_is_ours=True),
    # --- our own numbers: checks PASI makes but numbers nowhere (docs/rules.md) ---
    Rule(99001, "Exam Mark Cannot Return to Registered",
         "Invalid Exam Mark Update. An Exam Mark whose status is no longer Registered "
         "({CurrentStatus}) cannot be changed back to Registered.",
         _BUSINESS + "diploma_exam_result_management.html", message_is_ours=True),
    Rule(99002, "Invalid Exam Mark Status",
         "Invalid Exam Mark Status. The Exam Mark Status ({ExamMarkStatus}) is not a valid Exam "
         "Mark Status code.",
         _BUSINESS + "diploma_exam_mark_status.html", message_is_ours=True),
    Rule(99003, "Invalid Component Mark Status",
         "Invalid Component Mark Status. The Component Mark Status ({ComponentMarkStatus}) is not "
         "a valid Component Mark Status code.",
         _BUSINESS + "cc/component_mark_status.html", message_is_ours=True),
    Rule(99004, "Invalid Component Mark Format",
         "Invalid Component Mark Format. The Mark Format ({MarkFormat}) is not a valid Mark Format "
         "code.",
         None, message_is_ours=True),
    Rule(99005, "Invalid Diploma Exam",
         "Invalid Diploma Exam. The Exam Reference ID ({ExamRefId}) does not identify a diploma "
         "exam in PASI.",
         None, message_is_ours=True),
    Rule(99010, "Duplicate Client Message ID",
         "Invalid Request. The ClientMessageID ({ClientMessageID}) was already used by this client "
         "for a different request (message {MessageID}); send new data with a new ClientMessageID.",
         None, message_is_ours=True),
    Rule(99007, "Mark Values Need Alberta Education",
         "Invalid Exam Mark. Only Alberta Education (Ministry Client User) can submit mark values "
         "and results: component {ComponentCode} carries {What}.",
         _BUSINESS + "submit_diploma_exam_mark.html", message_is_ours=True),
    Rule(99008, "No Access to Exam Mark",
         "Invalid Exam Mark. The Exam Mark ({RefId}) belongs to a student your organization cannot "
         "access and is not written at one of your schools; it cannot be changed or deleted by "
         "{OrganizationCode}.",
         _doc(9059), message_is_ours=True),
    Rule(99035, "Credential Ordered Twice in One Order",
         "Invalid Document Order. Credential {CredentialNumber} is in more than one item of this "
         "order; order it in one item with the number of copies needed.",
         _doc(44017), message_is_ours=True),
    Rule(99036, "Missing Credential Number",
         "Invalid Document Order Item. An item of document type {DocumentType} prints a "
         "credential and must name its credential number.",
         _doc(60109), message_is_ours=True),
    Rule(99006, "Cannot Create Deleted Exam Mark",
         "Invalid Exam Mark. A new Exam Mark record cannot be created with Is Deleted = true.",
         None, message_is_ours=True),
)

# Rule 40500 has a second documented wording for Ministry callers; it is the
# same rule number, so it lives beside the catalogue rather than in it.
RULE_40500_MINISTRY_TEMPLATE = (
    "This registration requires a fee({fee type short description}) and must be managed "
    "through a Diploma Exam Registration Request."
)

CATALOGUE: Mapping[int, Rule] = {rule.number: rule for rule in _RULES}
if len(CATALOGUE) != len(_RULES):
    raise ImportError("duplicate rule number in the rule catalogue")


def rule(number: int) -> Rule:
    return CATALOGUE[number]


def fill(template: str, params: Mapping[str, object]) -> str:
    """Fill ``{placeholders}``; a missing parameter is a programming error."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise KeyError(f"message placeholder {{{name}}} has no value")
        return str(params[name])

    return _PLACEHOLDER.sub(substitute, template)


def render(number: int, params: Mapping[str, object] | None = None, *, template: str | None = None) -> str:
    """The message of rule ``number`` with its placeholders filled."""
    return fill(template or CATALOGUE[number].template, params or {})
