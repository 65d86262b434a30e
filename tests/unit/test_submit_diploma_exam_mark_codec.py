"""The SubmitDiplomaExamMark reader: validated XML to the plain records the rules check."""
from __future__ import annotations

from lxml import etree

from operations.submit_diploma_exam_mark import codec
from operations.submit_diploma_exam_mark.model import ComponentMark, ExamMark, SubmittedExamMark
from pasi_core.contract import namespaces

S = namespaces.PASI_SERVICE
C = namespaces.COMMON


def operation(*exam_marks: str) -> etree._Element:
    return etree.fromstring(f"""
<SubmitDiplomaExamMark xmlns="{S}" xmlns:c="{C}"><request>
  <CallerInfo><c:ClientMessageID>m-1</c:ClientMessageID><c:OrganizationCode>O.1</c:OrganizationCode></CallerInfo>
  <ExamMarks>{"".join(exam_marks)}</ExamMarks>
</request></SubmitDiplomaExamMark>""")


FULL = """<ExamMarkInfo>
  <RefId>AAAAAAAA-0000-0000-0000-000000000001</RefId><StateProvinceId>123456789</StateProvinceId>
  <ExamRefId>BBBBBBBB-0000-0000-0000-000000000002</ExamRefId><ExamMarkStatus>RG</ExamMarkStatus>
  <MarkValue>81</MarkValue><IsRescored>1</IsRescored><IsDeleted>false</IsDeleted>
  <ComponentMarks>
    <ComponentMarkInfo><ComponentMarkStatus>RG</ComponentMarkStatus>
      <ExamSittingRefId>CCCCCCCC-0000-0000-0000-000000000003</ExamSittingRefId><MarkValue>40</MarkValue>
      <MarkFormat>PCT</MarkFormat><MaximumMark>50</MaximumMark><FormId>F7</FormId>
      <SuppliedContactName>R. Tan</SuppliedContactName></ComponentMarkInfo>
    <ComponentMarkInfo><ComponentMarkStatus>NW</ComponentMarkStatus>
      <ExamSittingRefId>dddddddd-0000-0000-0000-000000000004</ExamSittingRefId></ComponentMarkInfo>
  </ComponentMarks>
  <PASICoreVersion>12</PASICoreVersion>
</ExamMarkInfo>"""

MINIMAL = """<ExamMarkInfo>
  <RefId>eeeeeeee-0000-0000-0000-000000000005</RefId><StateProvinceId>987654321</StateProvinceId>
  <ExamRefId>ffffffff-0000-0000-0000-000000000006</ExamRefId><ExamMarkStatus>RE</ExamMarkStatus>
  <IsRescored>false</IsRescored><IsDeleted>true</IsDeleted><ComponentMarks/>
  <PASICoreVersion>0</PASICoreVersion>
</ExamMarkInfo>"""


def test_every_field_lands_in_its_own_place():
    caller, records = codec.read_request(operation(FULL, MINIMAL))
    assert caller.client_message_id == "m-1" and caller.organization_code == "O.1"
    assert records == [
        SubmittedExamMark(0, ExamMark(
            "aaaaaaaa-0000-0000-0000-000000000001", "123456789", "bbbbbbbb-0000-0000-0000-000000000002",
            "RG", "81", True, False, (
                ComponentMark("RG", "cccccccc-0000-0000-0000-000000000003", mark_value="40",
                              mark_format="PCT", maximum_mark="50", form_id="F7",
                              supplied_contact_name="R. Tan"),
                ComponentMark("NW", "dddddddd-0000-0000-0000-000000000004"))), 12),
        SubmittedExamMark(1, ExamMark(
            "eeeeeeee-0000-0000-0000-000000000005", "987654321", "ffffffff-0000-0000-0000-000000000006",
            "RE", None, False, True, ()), 0),
    ]
