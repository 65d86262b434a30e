"""``pasi-core seed-demo``: a synthetic, realistic province in the load format.

Deterministic for a given ``--seed`` and reference date: the same command
gives the same file.  Exam sessions are placed around the reference date
(past sessions carry results, coming ones carry registrations), so the
demo exercises the deadline rules the day it is generated.  Nothing in it
is real: names are drawn from short lists and ASNs are random.
"""
from __future__ import annotations

import json
import random
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

from pasi_core.kernel import credential_numbers
from pasi_core.kernel.school_years import school_year_of
from persistence.reference_loader import STANDARD_CODE_TABLES

LAST_NAMES = ["Anderson", "Bouchard", "Campbell", "Cardinal", "Chen", "Dubois", "Fraser",
              "Gauthier", "Grant", "Kaur", "Lee", "MacDonald", "Martin", "Nguyen", "Patel",
              "Roy", "Singh", "Smith", "Tremblay", "Wilson", "Wong", "Yellowhorn"]
FIRST_NAMES = ["Aiden", "Amelia", "Ava", "Benjamin", "Chloe", "Elijah", "Emma", "Ethan",
               "Harper", "Isla", "Jack", "Liam", "Lucas", "Mia", "Noah", "Olivia", "Owen",
               "Sophia", "William", "Zoe"]
TOWNS = ["Airdrie", "Brooks", "Calgary", "Camrose", "Cold Lake", "Edmonton", "Grande Prairie",
         "Lethbridge", "Medicine Hat", "Red Deer", "St. Albert", "Wetaskiwin"]
# (course code, course name, components): ELA and Social have a written part.
COURSES = [
    ("ELA30-1", "English Language Arts 30-1", ("WR", "MS")),
    ("ELA30-2", "English Language Arts 30-2", ("WR", "MS")),
    ("SOC30-1", "Social Studies 30-1", ("WR", "MS")),
    ("SOC30-2", "Social Studies 30-2", ("WR", "MS")),
    ("MAT30-1", "Mathematics 30-1", ("MS",)),
    ("MAT30-2", "Mathematics 30-2", ("MS",)),
    ("BIO30", "Biology 30", ("MS",)),
    ("CHE30", "Chemistry 30", ("MS",)),
    ("PHY30", "Physics 30", ("MS",)),
    ("SCN30", "Science 30", ("MS",)),
]
COMPONENT_NAMES = {"WR": "Written Response", "MS": "Machine Scored"}
# Exam period, month and day of the first writing, as offsets into the school year.
SESSIONS = [("NOV", 11, 1), ("JAN", 1, 20), ("APR", 4, 12), ("JUN", 6, 16), ("AUG", 8, 4)]
REGISTRATION_WINDOW = timedelta(days=42)


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _session_date(school_year: int, month: int, day: int) -> date:
    return date(school_year - 1 if month >= 9 else school_year, month, day)


SECTIONS = ("Organizations", "Students", "SchoolEnrolments", "DiplomaExams", "ExamSittings",
            "WaivedFees", "RegistrationRequests", "DiplomaExamMarks", "RescoreRequests",
            "StudentAddresses", "OfficialMarks", "CredentialAchievements", "StudentCredentials")


def generate(students: int = 2000, seed: int = 2026, today: date | None = None,
             schools_per_authority: int = 5) -> dict:
    rng = random.Random(seed)
    today = today or date.today()
    current_year = school_year_of(today)
    document: dict[str, list] = {name: [] for name in SECTIONS}
    document["CodeTables"] = json.loads(STANDARD_CODE_TABLES.read_text())["CodeTables"]
    schools = _organizations(document, max(1, students // 2000 + 2), schools_per_authority)
    people = _students(document, rng, students, schools, current_year)
    exams = _exams(document, rng, schools, current_year)
    now = datetime.combine(today, time(12, 0))
    for index, person in enumerate(people):
        if person.get("IsDeactivated") or person.get("PrimaryStateProvinceId"):
            continue
        if index % 5 < 2:
            continue  # two in five have written nothing yet (grade 11 students)
        for course_index in rng.sample(range(len(COURSES)), 3):
            _exam_mark(document, rng, person, exams, COURSES[course_index][0], now)
        if rng.random() < 0.03:
            _waived_fee(document, rng, person, current_year)
    _credentials(document, people, rng, current_year, today)
    return {"FormatVersion": 1, **document}


def _organizations(document: dict, authorities: int, schools_per_authority: int) -> list[str]:
    orgs = document["Organizations"]
    orgs.append({"OrganizationCode": "O.1", "Name": "Alberta Education", "AuthorityCode": None})
    schools = []
    for a in range(1, authorities + 1):
        town = TOWNS[(a - 1) % len(TOWNS)]
        authority = f"A.{a:04d}"
        orgs.append({"OrganizationCode": authority, "Name": f"{town} School Division No. {a}",
                     "AuthorityCode": None})
        for s in range(schools_per_authority):
            code = f"S.{a * 100 + s + 1:04d}"
            schools.append(code)
            orgs.append({"OrganizationCode": code, "Name": f"{town} High School {s + 1}",
                         "AuthorityCode": authority})
    # One Francophone school, so French credential orders show up in the demo's bulk runs.
    if schools:
        francophone = orgs[-1]
        francophone.update(Name=f"École secondaire de {TOWNS[(authorities - 1) % len(TOWNS)]}",
                           IsFrancophone=True)
    return schools


def _students(document: dict, rng: random.Random, students: int, schools: list[str],
              current_year: int) -> list[dict]:
    people: list[dict] = []
    for index, number in enumerate(rng.sample(range(100_000_000, 999_999_999), students)):
        asn = f"{number:09d}"
        person: dict[str, object] = {"StateProvinceId": asn, "LegalLastName": rng.choice(LAST_NAMES),
                  "LegalFirstName": rng.choice(FIRST_NAMES),
                  "BirthDate": (date(current_year - 18, 1, 1)
                                + timedelta(days=rng.randrange(0, 730))).isoformat()}
        if index % 97 == 5 and people:
            person["PrimaryStateProvinceId"] = people[-1]["StateProvinceId"]
        elif index % 211 == 7:
            person["IsDeactivated"] = True
        people.append(person)
        school = rng.choice(schools)
        for year in (current_year - 1, current_year):
            document["SchoolEnrolments"].append({
                "StateProvinceId": asn, "OrganizationCode": school, "SchoolYear": year,
                "Grade": "12" if year == current_year else "11"})
        person["_school"] = school
    document["Students"] = [{k: v for k, v in p.items() if not k.startswith("_")} for p in people]
    return people


def _exams(document: dict, rng: random.Random, schools: list[str], current_year: int) -> list:
    """Three school years of sessions; every school a writing centre, plus O.1's special sittings."""
    exams = []
    for school_year in (current_year - 1, current_year, current_year + 1):
        for period, month, day in SESSIONS:
            if school_year == current_year + 1 and period != "NOV":
                continue
            writes_on = _session_date(school_year, month, day)
            for course, name, components in COURSES:
                exams.append(_exam(document, rng, schools, school_year, period, writes_on, course,
                                   name, components))
    return exams


def _exam(document: dict, rng: random.Random, schools: list[str], school_year: int, period: str,
          writes_on: date, course: str, name: str, components: tuple[str, ...]):
    exam_id = _guid(rng)
    start = datetime.combine(writes_on, time(15, 0))  # 9:00 in Alberta
    exam = {"RefId": exam_id, "CourseCode": course, "CourseName": name,
            "SchoolYear": school_year, "ExamPeriod": period, "ExamLanguage": "E",
            "ExamType": "DPE", "MarkFormat": "PCT",
            "RegistrationDeadlineUtc": (start - REGISTRATION_WINDOW).isoformat() + "Z",
            "RescoreDeadlineDate": (writes_on + timedelta(days=60)).isoformat(),
            "Components": [{"ComponentCode": c, "NameEnglish": COMPONENT_NAMES[c],
                            "Weight": 100 // len(components), "IsMarkReportable": True,
                            "ScheduledDtoTime": (start + timedelta(days=i * 7)).isoformat() + "Z"}
                           for i, c in enumerate(components)]}
    document["DiplomaExams"].append(exam)
    sittings = {}
    for school in schools:
        for i, c in enumerate(components):
            sitting = {"RefId": _guid(rng), "ExamRefId": exam_id, "ComponentCode": c,
                       "OrganizationCode": school, "LocationName": "Gymnasium",
                       "ScheduledDtoTime": (start + timedelta(days=i * 7)).isoformat() + "Z",
                       "StudentCapacity": 400, "IsSpecial": False}
            document["ExamSittings"].append(sitting)
            sittings[(school, c)] = sitting["RefId"]
    for i, c in enumerate(components):
        document["ExamSittings"].append({
            "RefId": _guid(rng), "ExamRefId": exam_id, "ComponentCode": c,
            "OrganizationCode": "O.1", "LocationName": "Special Writing Centre",
            "ScheduledDtoTime": (start + timedelta(days=i * 7)).isoformat() + "Z",
            "StudentCapacity": 20, "IsSpecial": True})
    return exam, start, sittings


def _mark_state(rng: random.Random, now: datetime, start: datetime) -> tuple[str, str | None, str]:
    """(exam mark status, mark value, component status): registered before the exam, a result after."""
    if now < start - REGISTRATION_WINDOW or now < start:
        return "RE", None, "RE"
    status = "RG" if rng.random() > 0.05 else "NW"
    value = str(rng.randint(35, 98)) if status == "RG" else None
    return status, value, "RG" if status == "RG" else "NW"


def _exam_mark(document: dict, rng: random.Random, person: dict, exams: list, course: str,
               now: datetime) -> None:
    exam, start, sittings = rng.choice([e for e in exams if e[0]["CourseCode"] == course])
    status, value, component_status = _mark_state(rng, now, start)
    mark = {"RefId": _guid(rng), "StateProvinceId": person["StateProvinceId"],
            "ExamRefId": exam["RefId"], "ExamMarkStatus": status, "IsRescored": False,
            "ComponentMarks": [{"ComponentMarkStatus": component_status,
                                "ExamSittingRefId": sittings[(person["_school"], c["ComponentCode"])],
                                **({"MarkValue": str(rng.randint(30, 100)), "MarkFormat": "PCT"}
                                   if component_status == "RG" else {})}
                               for c in exam["Components"]]}
    if value is not None:
        mark["MarkValue"] = value
        if rng.random() < 0.02:
            document["RescoreRequests"].append({
                "RefId": _guid(rng), "ExamMarkRefId": mark["RefId"],
                "PaymentStatus": rng.choice(["Payment Received", "Payment Pending"]),
                "ConsentStatus": "Received"})
    document["DiplomaExamMarks"].append(mark)


def _waived_fee(document: dict, rng: random.Random, person: dict, current_year: int) -> None:
    course = COURSES[rng.randrange(len(COURSES))][0]
    document["WaivedFees"].append({
        "RefId": _guid(rng), "StateProvinceId": person["StateProvinceId"],
        "CourseCode": course, "ExpiryExamPeriod": "AUG", "ExpirySchoolYear": current_year + 1,
        "Reason": "Compassionate waiver"})


STREETS = ["Main Street", "1 Avenue NW", "Jasper Avenue", "Macleod Trail SE", "Gaetz Avenue",
           "Mayor Magrath Drive S", "Range Road 24"]
POSTAL_PREFIXES = ["T2P", "T5J", "T4N", "T1J", "T1A", "T8N", "T9V"]
OFFICIAL_COURSES = ["ELA30-1", "SOC30-1", "MAT30-1", "BIO30", "CHE30", "PHY30", "CALM20", "PE10"]


ACHIEVEMENTS = [  # (cumulative share, the credentials achieved)
    (0.50, [("AHSD", "AHSD-2010")]),
    (0.54, [("CHSA", "CHSA-2010")]),
    (0.56, None),  # HSED, by one of its two routes (drawn separately)
    (0.57, [("COSC", "COSC")]),
    (0.575, [("IOPC", "IOPC")]),
    (0.577, [("HHSD", "HONORARY"), ("AHSD", "AHSD-2010")]),
]


def _achieved(rng: random.Random) -> list[tuple[str, str]] | None:
    roll = rng.random()
    for share, achieved in ACHIEVEMENTS:
        if roll < share:
            return achieved or [("HSED", "HSED-ALT2" if rng.random() < 0.5 else "HSED-ALT1")]
    return None


def _address(document: dict, rng: random.Random, asn: str, town: str, today: date) -> None:
    line = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
    postal_code = (f"{rng.choice(POSTAL_PREFIXES)} {rng.randint(1, 9)}"
                   f"{chr(65 + rng.randrange(26))}{rng.randint(1, 9)}")
    document["StudentAddresses"].append({
        "StateProvinceId": asn, "AddressLines": [line],
        "City": town, "ProvinceState": "AB", "PostalCode": postal_code,
        "Country": "Canada", "EffectiveDate": (today - timedelta(days=400)).isoformat()})


def _official_marks(document: dict, rng: random.Random, asn: str, achieved: list,
                    current_year: int) -> None:
    for course in rng.sample(OFFICIAL_COURSES, 5):
        document["OfficialMarks"].append({
            "StateProvinceId": asn, "CourseCode": course,
            "SchoolYear": rng.choice([current_year - 1, current_year]),
            "MarkValue": str(rng.randint(50, 98)), "CreditsAwarded": 5})
    if achieved[0] == ("HSED", "HSED-ALT2"):
        document["OfficialMarks"].append({
            "StateProvinceId": asn, "CourseCode": "GED", "SchoolYear": current_year,
            "MarkValue": rng.choice("ABC"), "IsGed": True})


def _credentials(document: dict, people: list[dict], rng: random.Random, current_year: int,
                 today: date) -> None:
    """Addresses, official marks, credential achievements and some awarded credentials.

    The mix gives a bulk run every outcome: students who are awarded and
    ordered (most), students without an address (ordered, held later),
    students whose award fails (deactivated, no official mark with credits),
    and students already holding a credential."""
    serial = 900_000_000
    for index, person in enumerate(people):
        asn = person["StateProvinceId"]
        if index % 20 != 3:  # one in twenty has no address on file
            _address(document, rng, asn, TOWNS[index % len(TOWNS)], today)
        if person.get("PrimaryStateProvinceId"):
            continue
        achieved = _achieved(rng)
        if achieved is None:
            continue
        for credential_type, requirement_set in achieved:
            document["CredentialAchievements"].append({
                "StateProvinceId": asn, "CredentialType": credential_type,
                "RequirementSet": requirement_set, "Status": "Achieved"})
        if index % 199 != 11:  # a few have no official mark with credits (award fails: 44008)
            _official_marks(document, rng, asn, achieved, current_year)
        if index % 41 == 9:  # already awarded: a bulk run does not select them (44010)
            serial += 1
            document["StudentCredentials"].append({
                "CredentialNumber": credential_numbers.with_check_digit(serial),
                "StateProvinceId": asn, "CredentialType": achieved[-1][0],
                "RequirementSet": achieved[-1][1],
                "AwardedOnDate": (today - timedelta(days=200)).isoformat(),
                "SchoolYear": current_year - 1, "AwardedLastName": person["LegalLastName"],
                "AwardedFirstName": person.get("LegalFirstName")})


def write(document: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")
