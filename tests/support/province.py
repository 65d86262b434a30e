"""A small, fully known province for the tests (reference-data load format).

Times are relative to :data:`NOW`, the frozen clock of the live test
server: school year 2026 (2025/2026), with the June 2026 session open for
registration and the January 2026 session written.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from persistence.reference_loader import STANDARD_CODE_TABLES

NOW = datetime(2026, 3, 2, 12, 0, 0)


def ref(name: str) -> str:
    """A stable GUID per name, so tests can refer to fixture objects by name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pasi-test:{name}"))


def iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


# Students
S1 = "100000001"        # enrolled at S.0001 this year
S2 = "100000002"        # enrolled at S.0001 this year
S3 = "100000003"        # enrolled at S.0002 (another school of A.0001)
SECONDARY = "100000004"  # Secondary ASN of S1
DEACTIVATED = "100000005"  # enrolled at S.0001, deactivated
FORMER = "100000006"    # enrolled at S.0001 three years ago only
S7 = "100000007"        # enrolled at S.0003 (authority A.0002)
REWRITER = "100000008"  # wrote ELA30-1 in June 2025 (a rewrite needs a fee)
COUPON = "100000009"    # rewriter holding an available waived fee
CAPACITY_1 = "100000010"
CAPACITY_2 = "100000011"
BUSY = "100000012"      # used for the marks-per-student limit (40553)
OTHER_PERSON = "100000013"
UNKNOWN = "999999999"

# Exams
OPEN_ELA = ref("exam:ELA30-1:JUN2026:E")
OPEN_ELA_FRENCH = ref("exam:ELA30-1:JUN2026:F")
OPEN_MATH = ref("exam:MAT30-1:JUN2026")
CLOSED_ELA = ref("exam:ELA30-1:JAN2026")
CLOSED_SCORE = ref("exam:SCORE30:JAN2026")
CLOSED_LETTER = ref("exam:LETTER30:JAN2026")
CLOSED_PASS_FAIL = ref("exam:PF30:JAN2026")
CLOSED_BIO = ref("exam:BIO30:JAN2026")
PRIOR_ELA = ref("exam:ELA30-1:JUN2025")
GED_EXAM = ref("exam:GED:JAN2026")

OPEN_DEADLINE = NOW + timedelta(days=44)
OPEN_WRITES = NOW + timedelta(days=106)
CLOSED_DEADLINE = NOW - timedelta(days=90)
CLOSED_WRITES = NOW - timedelta(days=41)
PRIOR_WRITES = NOW - timedelta(days=260)


def sitting(exam: str, component: str, centre: str, kind: str = "") -> str:
    return ref(f"sitting:{exam}:{component}:{centre}:{kind}")


def _exam(ref_id, course, name, school_year, period, components, *, deadline, writes,
          language="E", exam_type="DPE", mark_format="PCT", reportable=None):
    reportable = reportable or {}
    return {"RefId": ref_id, "CourseCode": course, "CourseName": name, "SchoolYear": school_year,
            "ExamPeriod": period, "ExamLanguage": language, "ExamType": exam_type,
            "MarkFormat": mark_format, "RegistrationDeadlineUtc": iso(deadline),
            "Components": [{"ComponentCode": c, "NameEnglish": {"WR": "Written Response",
                                                                "MS": "Machine Scored"}[c],
                            "IsMarkReportable": reportable.get(c, True),
                            "ScheduledDtoTime": iso(writes + timedelta(days=7 * i))}
                           for i, c in enumerate(components)]}


EXAMS = [
    _exam(OPEN_ELA, "ELA30-1", "English Language Arts 30-1", 2026, "JUN", ("WR", "MS"),
          deadline=OPEN_DEADLINE, writes=OPEN_WRITES),
    _exam(OPEN_ELA_FRENCH, "ELA30-1", "English Language Arts 30-1", 2026, "JUN", ("WR", "MS"),
          deadline=OPEN_DEADLINE, writes=OPEN_WRITES, language="F"),
    _exam(OPEN_MATH, "MAT30-1", "Mathematics 30-1", 2026, "JUN", ("MS",),
          deadline=OPEN_DEADLINE, writes=OPEN_WRITES),
    _exam(CLOSED_ELA, "ELA30-1", "English Language Arts 30-1", 2026, "JAN", ("WR", "MS"),
          deadline=CLOSED_DEADLINE, writes=CLOSED_WRITES),
    _exam(CLOSED_SCORE, "SCORE30", "Scored Course 30", 2026, "JAN", ("MS",),
          deadline=CLOSED_DEADLINE, writes=CLOSED_WRITES, mark_format="NUM"),
    _exam(CLOSED_LETTER, "LETTER30", "Lettered Course 30", 2026, "JAN", ("MS",),
          deadline=CLOSED_DEADLINE, writes=CLOSED_WRITES, mark_format="LTR"),
    _exam(CLOSED_PASS_FAIL, "PF30", "Pass Fail Course 30", 2026, "JAN", ("MS",),
          deadline=CLOSED_DEADLINE, writes=CLOSED_WRITES, mark_format="PF"),
    _exam(CLOSED_BIO, "BIO30", "Biology 30", 2026, "JAN", ("WR", "MS"),
          deadline=CLOSED_DEADLINE, writes=CLOSED_WRITES, reportable={"WR": False}),
    _exam(PRIOR_ELA, "ELA30-1", "English Language Arts 30-1", 2025, "JUN", ("WR", "MS"),
          deadline=PRIOR_WRITES - timedelta(days=42), writes=PRIOR_WRITES),
    _exam(GED_EXAM, "GED-MATH", "GED Mathematics", 2026, "JAN", ("MS",),
          deadline=CLOSED_DEADLINE, writes=CLOSED_WRITES, exam_type="GED"),
]


def _sittings() -> list[dict]:
    sittings = []
    for exam in EXAMS:
        for component in exam["Components"]:
            code = component["ComponentCode"]
            for centre, capacity, kind, special, deleted in (
                    ("S.0001", 100, "", False, False),
                    ("S.0002", 1, "", False, False),
                    ("O.1", 20, "special", True, False),
                    ("S.0001", 100, "deleted", False, True)):
                sittings.append({
                    "RefId": sitting(exam["RefId"], code, centre, kind), "ExamRefId": exam["RefId"],
                    "ComponentCode": code, "OrganizationCode": centre,
                    "LocationName": {"": "Gymnasium", "special": "Special Writing Centre",
                                     "deleted": "Library"}[kind],
                    "ScheduledDtoTime": component["ScheduledDtoTime"],
                    "StudentCapacity": capacity, "IsSpecial": special, "IsDeleted": deleted})
    return sittings


def mark_format_of(exam: str) -> str:
    return next(e["MarkFormat"] for e in EXAMS if e["RefId"] == exam)


def components_for(exam: str, centre: str = "S.0001", kind: str = "", status: str = "RE",
                   **values) -> list[dict]:
    """Component marks for every component of ``exam`` at ``centre``."""
    exam_doc = next(e for e in EXAMS if e["RefId"] == exam)
    return [{"ComponentMarkStatus": status,
             "ExamSittingRefId": sitting(exam, c["ComponentCode"], centre, kind), **values}
            for c in exam_doc["Components"]]


def _student(asn, last, **extra):
    return {"StateProvinceId": asn, "LegalLastName": last, "LegalFirstName": "Test", **extra}


def document() -> dict:
    codes = json.loads(STANDARD_CODE_TABLES.read_text())["CodeTables"]
    codes.append({"CodeTable": "ExamType", "Code": "GED", "ShortDescription": "GED"})
    students = [
        _student(S1, "One"), _student(S2, "Two"), _student(S3, "Three"),
        _student(SECONDARY, "One", PrimaryStateProvinceId=S1),
        _student(DEACTIVATED, "Five", IsDeactivated=True), _student(FORMER, "Six"),
        _student(S7, "Seven"), _student(REWRITER, "Eight"), _student(COUPON, "Nine"),
        _student(CAPACITY_1, "Ten"), _student(CAPACITY_2, "Eleven"), _student(BUSY, "Twelve"),
        _student(OTHER_PERSON, "Thirteen"),
    ]
    enrolments = [{"StateProvinceId": asn, "OrganizationCode": school, "SchoolYear": year}
                  for asn, school, year in (
                      (S1, "S.0001", 2026), (S2, "S.0001", 2026), (S3, "S.0002", 2026),
                      (DEACTIVATED, "S.0001", 2026), (FORMER, "S.0001", 2023), (S7, "S.0003", 2026),
                      (REWRITER, "S.0001", 2026), (COUPON, "S.0001", 2026),
                      (CAPACITY_1, "S.0001", 2026), (CAPACITY_2, "S.0001", 2026),
                      (BUSY, "S.0001", 2026), (OTHER_PERSON, "S.0001", 2026))]
    prior_result = lambda asn, name: {
        "RefId": ref(name), "StateProvinceId": asn, "ExamRefId": PRIOR_ELA, "ExamMarkStatus": "RG",
        "MarkValue": "48", "ComponentMarks": components_for(PRIOR_ELA, status="RG", MarkValue="48",
                                                            MarkFormat="PCT")}
    credentials = credential_document()
    return {
        "FormatVersion": 1,
        **credentials,
        "Students": students + credentials["Students"],
        "SchoolEnrolments": enrolments + credentials["SchoolEnrolments"],
        "CodeTables": codes,
        "Organizations": [
            {"OrganizationCode": "O.1", "Name": "Alberta Education"},
            {"OrganizationCode": "O.2", "Name": "Another Ministry Client"},
            {"OrganizationCode": "A.0001", "Name": "Prairie School Division"},
            {"OrganizationCode": "A.0002", "Name": "Foothills School Division"},
            {"OrganizationCode": "S.0001", "Name": "Aspen High School", "AuthorityCode": "A.0001"},
            {"OrganizationCode": "S.0002", "Name": "Birch High School", "AuthorityCode": "A.0001"},
            {"OrganizationCode": "S.0003", "Name": "Cedar High School", "AuthorityCode": "A.0002"},
        ],
        "DiplomaExams": EXAMS,
        "ExamSittings": _sittings(),
        "WaivedFees": [{"RefId": ref("fee:coupon"), "StateProvinceId": COUPON, "CourseCode": "ELA30-1",
                        "ExpiryExamPeriod": "AUG", "ExpirySchoolYear": 2026,
                        "Reason": "Compassionate waiver"}],
        "DiplomaExamMarks": [prior_result(REWRITER, "mark:rewriter-prior"),
                             prior_result(COUPON, "mark:coupon-prior")],
    }


# --- credentials ------------------------------------------------------------------------------
AWARDING_ORDER = ["AHSD", "ADEX", "ADVD", "GHSD", "HSED", "CHSA", "IOPC", "COSC"]
ALLOWED_AFTER = {"AHSD": [], "ADEX": [], "ADVD": [], "GHSD": [],
                 "HSED": ["AHSD", "ADEX", "ADVD", "GHSD"], "CHSA": ["AHSD", "HSED"],
                 "IOPC": ["AHSD", "ADEX", "ADVD", "HSED", "GHSD"], "COSC": ["AHSD", "HSED", "CHSA"]}
"""Reference §4.2, transcribed independently of the code table, to test it row by row."""

C_READY = "300000001"        # achieved AHSD, official marks with credits
C_NOTHING = "300000002"      # no achievement
C_HONORARY = "300000003"     # achieved HHSD and AHSD: 44011
C_AWARDED = "300000004"      # achieved AHSD, already awarded AHSD: 44010
C_BLOCKED = "300000005"      # awarded AHSD, achieved CHSA: 44012
C_NO_MARKS = "300000006"     # achieved AHSD, no official mark with credits: 44008
C_TOO_YOUNG = "300000007"    # born in school year 2008, marks in 2008: 44004
C_DEACTIVATED = "300000008"
C_SECONDARY = "300000009"    # secondary of C_READY
C_SEVERAL = "300000010"      # achieved CHSA, HSED and AHSD: AHSD
C_COSC = "300000011"         # COSC: year of the latest enrolment
C_GED = "300000012"          # HSED by its GED route: year of the passing GED mark
C_NO_ADDRESS = "300000013"   # achieved AHSD, no address
AWARDED_NUMBER = "9000000019"  # C_AWARDED's AHSD (a valid check digit)
BLOCKING_NUMBER = "9000000027"  # C_BLOCKED's AHSD


def pair_asn(awarded: str, achieved: str) -> str:
    """The student holding ``awarded`` who has achieved ``achieved``."""
    return f"31{AWARDING_ORDER.index(awarded)}{AWARDING_ORDER.index(achieved)}00000"


def _luhn(serial: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(serial)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return serial + str((10 - total % 10) % 10)


def credential_document() -> dict:
    students, enrolments, marks, achievements, credentials, addresses = [], [], [], [], [], []

    def student(asn, achieved=(), *, marks_year=2025, awarded=None, birth="2007-05-01", address=True,
                **extra):
        students.append({"StateProvinceId": asn, "LegalLastName": f"Graduate{asn[-3:]}",
                         "LegalFirstName": "Casey", "LegalMiddleName": "Lee", "BirthDate": birth, **extra})
        enrolments.append({"StateProvinceId": asn, "OrganizationCode": "S.0001", "SchoolYear": 2026})
        for kind, requirement_set in achieved:
            achievements.append({"StateProvinceId": asn, "CredentialType": kind,
                                 "RequirementSet": requirement_set, "Status": "Achieved"})
        if marks_year is not None:
            for course, year in (("ELA30-1", marks_year), ("SOC30-1", marks_year - 1)):
                marks.append({"StateProvinceId": asn, "CourseCode": course, "SchoolYear": year,
                              "MarkValue": "71", "CreditsAwarded": 5})
        if awarded:
            number, kind = awarded
            credentials.append({"CredentialNumber": number, "StateProvinceId": asn, "CredentialType": kind,
                                "AwardedOnDate": "2025-07-20", "SchoolYear": 2025,
                                "AwardedLastName": f"Graduate{asn[-3:]}"})
        if address:
            addresses.append({"StateProvinceId": asn, "AddressLines": ["10 Main Street"], "City": "Red Deer",
                              "ProvinceState": "AB", "PostalCode": "T4N 1A1", "Country": "Canada",
                              "EffectiveDate": "2020-01-01"})

    student(C_READY, [("AHSD", "AHSD-2010")])
    student(C_NOTHING)
    student(C_HONORARY, [("HHSD", "HONORARY"), ("AHSD", "AHSD-2010")])
    student(C_AWARDED, [("AHSD", "AHSD-2010")], awarded=(AWARDED_NUMBER, "AHSD"))
    student(C_BLOCKED, [("AHSD", "AHSD-2010"), ("CHSA", "CHSA-2010")], awarded=(BLOCKING_NUMBER, "AHSD"))
    student(C_NO_MARKS, [("AHSD", "AHSD-2010")], marks_year=None)
    student(C_TOO_YOUNG, [("AHSD", "AHSD-2010")], marks_year=2008, birth="2007-10-01")
    student(C_DEACTIVATED, [("AHSD", "AHSD-2010")], IsDeactivated=True)
    student(C_SECONDARY, [("AHSD", "AHSD-2010")], PrimaryStateProvinceId=C_READY)
    student(C_SEVERAL, [("CHSA", "CHSA-2010"), ("HSED", "HSED-ALT1"), ("AHSD", "AHSD-2010")])
    student(C_COSC, [("COSC", "COSC")], marks_year=None)
    enrolments.append({"StateProvinceId": C_COSC, "OrganizationCode": "S.0002", "SchoolYear": 2024})
    student(C_GED, [("HSED", "HSED-ALT2")], marks_year=2025)
    marks.append({"StateProvinceId": C_GED, "CourseCode": "GED", "SchoolYear": 2023, "MarkValue": "B",
                  "IsGed": True})
    marks.append({"StateProvinceId": C_GED, "CourseCode": "GED-RETRY", "SchoolYear": 2024,
                  "MarkValue": "D", "IsGed": True})
    student(C_NO_ADDRESS, [("AHSD", "AHSD-2010")], address=False)
    serial = 900000100
    for awarded in AWARDING_ORDER:
        for achieved in AWARDING_ORDER:
            if achieved == awarded:
                continue
            serial += 1
            student(pair_asn(awarded, achieved), [(achieved, f"{achieved}-SET")],
                    awarded=(_luhn(str(serial)), awarded))
    return {"Students": students, "SchoolEnrolments": enrolments, "OfficialMarks": marks,
            "CredentialAchievements": achievements, "StudentCredentials": credentials,
            "StudentAddresses": addresses}
