"""JSON Schema of the reference-data file (``pasi-core load FILE.json``).

Keys are named as PASI names them.  ``pasi-core export-contract`` writes
this schema to ``schemas/reference-data.schema.json``; docs/reference-data.md
describes each section.
"""
from __future__ import annotations

GUID = {"type": "string",
        "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}
ASN = {"type": "string", "pattern": "^[0-9]{9}$", "description": "Alberta Student Number, nine digits"}
ORGANIZATION_CODE = {"type": "string", "pattern": "^[SAO]\\.[0-9]{1,4}$"}
CODE = {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^[!-~]+$"}
NAME = {"type": "string", "minLength": 1, "maxLength": 200}
SCHOOL_YEAR = {"type": "integer", "minimum": 1900, "maximum": 2200,
               "description": "final calendar year of the school year: 2023/2024 is 2024"}
UTC_TIME = {"type": "string",
            "pattern": ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?"
                        "(Z|[+-][0-9]{2}:[0-9]{2})$"),
            "description": "ISO 8601 date and time with a UTC offset"}
DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
BOOL = {"type": "boolean"}
MARK = {"type": "string", "minLength": 1, "maxLength": 10, "pattern": "^[!-~]+$"}


def _object(required: list[str], properties: dict) -> dict:
    return {"type": "object", "additionalProperties": False, "required": required,
            "properties": properties}


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


CODE_VALUE = _object(["CodeTable", "Code", "ShortDescription"], {
    "CodeTable": {"type": "string", "minLength": 1, "maxLength": 40},
    "Code": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[!-~]+$"},
    "ShortDescription": {"type": "string", "minLength": 1, "maxLength": 100},
    "Description": {"type": "string", "maxLength": 400},
    "Sequence": {"type": "integer"},
    "Attributes": {"type": "object"},
})

ORGANIZATION = _object(["OrganizationCode", "Name"], {
    "OrganizationCode": ORGANIZATION_CODE,
    "Name": NAME,
    "AuthorityCode": {"anyOf": [ORGANIZATION_CODE, {"type": "null"}],
                      "description": "for a school: its school authority"},
    "IsFrancophone": {"type": "boolean",
                      "description": "a Francophone school: its students' credentials print in French"},
})

STUDENT = _object(["StateProvinceId", "LegalLastName"], {
    "StateProvinceId": ASN,
    "LegalLastName": {"type": "string", "minLength": 1, "maxLength": 100},
    "LegalFirstName": {"type": "string", "maxLength": 100},
    "LegalMiddleName": {"type": "string", "maxLength": 100},
    "BirthDate": DATE,
    "PrimaryStateProvinceId": {"anyOf": [ASN, {"type": "null"}],
                               "description": "set when this ASN is a Secondary ASN"},
    "IsDeactivated": BOOL,
})

SCHOOL_ENROLMENT = _object(["StateProvinceId", "OrganizationCode", "SchoolYear"], {
    "StateProvinceId": ASN,
    "OrganizationCode": ORGANIZATION_CODE,
    "SchoolYear": SCHOOL_YEAR,
    "Grade": {"type": "string", "maxLength": 10},
})

EXAM_COMPONENT = _object(["ComponentCode", "NameEnglish", "IsMarkReportable"], {
    "ComponentCode": CODE,
    "NameEnglish": NAME,
    "NameFrench": NAME,
    "Weight": {"type": "integer", "minimum": 0, "maximum": 100},
    "IsMarkReportable": BOOL,
    "IsDeleted": BOOL,
    "ScheduledDtoTime": UTC_TIME,
})

DIPLOMA_EXAM = _object(["RefId", "CourseCode", "CourseName", "SchoolYear", "ExamPeriod",
                        "ExamLanguage", "ExamType", "MarkFormat", "RegistrationDeadlineUtc",
                        "Components"], {
    "RefId": GUID,
    "CourseCode": {"type": "string", "minLength": 1, "maxLength": 20},
    "CourseName": NAME,
    "SchoolYear": SCHOOL_YEAR,
    "ExamPeriod": CODE,
    "ExamLanguage": CODE,
    "ExamType": CODE,
    "MarkFormat": CODE,
    "RegistrationDeadlineUtc": UTC_TIME,
    "RescoreDeadlineDate": DATE,
    "IsDeleted": BOOL,
    "Components": {"type": "array", "minItems": 1, "items": EXAM_COMPONENT},
})

EXAM_SITTING = _object(["RefId", "ExamRefId", "ComponentCode", "LocationName"], {
    "RefId": GUID,
    "ExamRefId": GUID,
    "ComponentCode": CODE,
    "OrganizationCode": {"anyOf": [ORGANIZATION_CODE, {"type": "null"}],
                         "description": "the writing centre"},
    "LocationName": NAME,
    "ScheduledDtoTime": UTC_TIME,
    "StudentCapacity": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
    "IsSpecial": BOOL,
    "IsDeleted": BOOL,
})

WAIVED_FEE = _object(["RefId", "StateProvinceId", "CourseCode", "ExpiryExamPeriod",
                      "ExpirySchoolYear"], {
    "RefId": GUID,
    "StateProvinceId": ASN,
    "CourseCode": {"type": "string", "minLength": 1, "maxLength": 20},
    "ExpiryExamPeriod": CODE,
    "ExpirySchoolYear": SCHOOL_YEAR,
    "Reason": {"type": "string", "maxLength": 200},
    "IsUsed": BOOL,
    "IsDeleted": BOOL,
})

REGISTRATION_REQUEST = _object(["RefId", "StateProvinceId", "Status"], {
    "RefId": GUID,
    "StateProvinceId": ASN,
    "Status": {"enum": ["Under Construction", "Payment Pending", "Payment Not Received",
                        "Registered"]},
    "IsDeleted": BOOL,
})

COMPONENT_MARK = _object(["ComponentMarkStatus", "ExamSittingRefId"], {
    "ComponentMarkStatus": CODE,
    "ExamSittingRefId": GUID,
    "MarkValue": MARK,
    "MarkFormat": CODE,
    "MaximumMark": MARK,
    "FormId": {"type": "string", "maxLength": 50},
    "SuppliedContactName": {"type": "string", "maxLength": 100},
})

DIPLOMA_EXAM_MARK = _object(["RefId", "StateProvinceId", "ExamRefId", "ExamMarkStatus",
                             "ComponentMarks"], {
    "RefId": GUID,
    "StateProvinceId": ASN,
    "ExamRefId": GUID,
    "ExamMarkStatus": CODE,
    "MarkValue": MARK,
    "IsRescored": BOOL,
    "IsDeleted": BOOL,
    "ComponentMarks": _list(COMPONENT_MARK),
    "RegistrationRequestRefId": GUID,
    "WaivedFeeRefId": GUID,
    "AsnSetByLinking": BOOL,
})

RESCORE_REQUEST = _object(["RefId", "ExamMarkRefId", "PaymentStatus", "ConsentStatus"], {
    "RefId": GUID,
    "ExamMarkRefId": GUID,
    "PaymentStatus": {"enum": ["Payment Pending", "Payment Not Received", "Payment Waived",
                               "Payment Received"]},
    "ConsentStatus": {"enum": ["Not Received", "Received", "Not Required"]},
    "IsCancelled": BOOL,
})

STUDENT_ADDRESS = _object(["StateProvinceId", "AddressLines", "Country", "EffectiveDate"], {
    "StateProvinceId": ASN,
    "AddressLines": {"type": "array", "minItems": 1, "maxItems": 4,
                     "items": {"type": "string", "minLength": 1, "maxLength": 100}},
    "City": {"type": "string", "maxLength": 100},
    "ProvinceState": {"type": "string", "maxLength": 50},
    "PostalCode": {"type": "string", "maxLength": 20},
    "Country": {"type": "string", "minLength": 1, "maxLength": 100},
    "EffectiveDate": DATE,
    "ExpiryDate": DATE,
})

OFFICIAL_MARK = _object(["StateProvinceId", "CourseCode", "SchoolYear"], {
    "StateProvinceId": ASN,
    "CourseCode": {"type": "string", "minLength": 1, "maxLength": 20},
    "SchoolYear": SCHOOL_YEAR,
    "MarkValue": MARK,
    "CreditsAwarded": {"type": "integer", "minimum": 0, "maximum": 100},
    "IsGed": BOOL,
    "IsDeleted": BOOL,
})

CREDENTIAL_ACHIEVEMENT = _object(["StateProvinceId", "CredentialType", "RequirementSet", "Status"], {
    "StateProvinceId": ASN,
    "CredentialType": CODE,
    "RequirementSet": {"type": "string", "minLength": 1, "maxLength": 40},
    "Status": {"enum": ["Achieved", "CalculationOutstanding", "NotAchieved", "NotAssessing",
                        "ToBeAssessed"]},
})

STUDENT_CREDENTIAL = _object(["CredentialNumber", "StateProvinceId", "CredentialType", "AwardedOnDate",
                              "SchoolYear"], {
    "CredentialNumber": {"type": "string", "pattern": "^[0-9]{5}-?[0-9]{5}$"},
    "StateProvinceId": ASN,
    "CredentialType": CODE,
    "RequirementSet": {"type": "string", "maxLength": 40},
    "AwardedOnDate": DATE,
    "SchoolYear": SCHOOL_YEAR,
    "AwardedLastName": {"type": "string", "maxLength": 100},
    "AwardedFirstName": {"type": "string", "maxLength": 100},
    "AwardedMiddleName": {"type": "string", "maxLength": 100},
    "IsDeleted": BOOL,
    "DeleteReason": {"type": "string", "maxLength": 200},
    "LegacyCredentialNumber": {"type": "string", "maxLength": 40},
})

SECTIONS = {
    "CodeTables": CODE_VALUE,
    "Organizations": ORGANIZATION,
    "Students": STUDENT,
    "SchoolEnrolments": SCHOOL_ENROLMENT,
    "DiplomaExams": DIPLOMA_EXAM,
    "ExamSittings": EXAM_SITTING,
    "WaivedFees": WAIVED_FEE,
    "RegistrationRequests": REGISTRATION_REQUEST,
    "DiplomaExamMarks": DIPLOMA_EXAM_MARK,
    "RescoreRequests": RESCORE_REQUEST,
    "StudentAddresses": STUDENT_ADDRESS,
    "OfficialMarks": OFFICIAL_MARK,
    "CredentialAchievements": CREDENTIAL_ACHIEVEMENT,
    "StudentCredentials": STUDENT_CREDENTIAL,
}

REFERENCE_DATA_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:pasi-core-mirror:reference-data:2026",
    "title": "PASI Core mirror reference data",
    "description": "Loaded with `pasi-core load FILE.json`: idempotent upserts by natural key, "
                   "all or nothing.  See docs/reference-data.md.",
    "type": "object",
    "additionalProperties": False,
    "properties": {"FormatVersion": {"const": 1}} | {
        name: _list(item) for name, item in SECTIONS.items()},
}
