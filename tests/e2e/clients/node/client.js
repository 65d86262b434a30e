#!/usr/bin/env node
// A non-Python SOAP client for pasi-core: node-soap (the npm package "soap"), built from the
// WSDLs the live server publishes, over mutual TLS with registered client certificates.
//
//   node client.js PLAN.json
//
// PLAN.json (written by tests/e2e/test_node_soap_client.py) names the server, the certificates and
// the demo data to use.  The script runs ten steps in order and prints ONE JSON document on stdout
// with what the client saw at each step; the Python test checks it and the stored rows.  Anything
// unexpected (a transport error, a fault where an answer was expected) is recorded in the step's
// "error" and the script still prints its JSON, then exits 1, so the test shows exactly what went
// wrong.  Nothing here depends on timing; every request has a generous timeout.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const soap = require('soap');

const REQUEST_TIMEOUT_MS = 300000;
const SOFTWARE = {
  Manufacturer: 'pasi-core-mirror tests',
  Product: 'node-soap e2e client',
  Version: require('soap/package.json').version,
  BuildNumber: process.version,
};

function readPlan() {
  const path = process.argv[2];
  if (!path) {
    throw new Error('usage: node client.js PLAN.json');
  }
  return JSON.parse(fs.readFileSync(path, 'utf8'));
}

// Two ways to present the client certificate, both needed: node-soap 1.x fetches the WSDL through
// axios, which ignores cert/key/ca placed directly in wsdl_options (the TLS handshake then fails
// with SELF_SIGNED_CERT_IN_CHAIN), so the WSDL is fetched through an https.Agent carrying them;
// the SOAP calls use node-soap's own ClientSSLSecurity.
async function clientFor(url, identity, ca) {
  const agent = new https.Agent({
    cert: fs.readFileSync(identity.cert),
    key: fs.readFileSync(identity.key),
    ca: fs.readFileSync(ca),
  });
  const client = await soap.createClientAsync(`${url}?wsdl`, {
    wsdl_options: { httpsAgent: agent, timeout: REQUEST_TIMEOUT_MS },
  });
  client.setSecurity(new soap.ClientSSLSecurity(identity.key, identity.cert, ca));
  return client;
}

function callerInfo(organizationCode, label) {
  // Keys in the XSD's sequence order (node-soap 1.13 also reorders them from the WSDL).  Times are
  // ISO strings: node-soap serializes a JS Date given for an xs:dateTime as an EMPTY element
  // (<s0:SentUtcTime></s0:SentUtcTime>), which the service rightly refuses with rule 3001.
  return {
    ClientMessageID: `node-${label}-${crypto.randomUUID().slice(0, 8)}`,
    SentUtcTime: new Date().toISOString(),
    Software: { ...SOFTWARE },
    OrganizationCode: organizationCode,
  };
}

function examMark(refId, asn, examRefId, version, components) {
  return {
    RefId: refId,
    StateProvinceId: asn,
    ExamRefId: examRefId,
    ExamMarkStatus: 'RE',
    IsRescored: false,
    IsDeleted: false,
    PASICoreVersion: version,
    ComponentMarks: {
      ComponentMarkInfo: components.map((sittingRefId) => ({
        ComponentMarkStatus: 'RE',
        ExamSittingRefId: sittingRefId,
      })),
    },
  };
}

function asList(value) {
  if (value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

function rejectionsOf(answer) {
  const holder = answer && answer.Rejections;
  return asList(holder && holder.Rejection).map((r) => ({
    RuleId: r.RuleId,
    Message: r.Message,
    FieldPath: r.FieldPath === undefined ? null : r.FieldPath,
  }));
}

function submitResponses(result) {
  const responses = result && result.SubmitResponses;
  return asList(responses && responses.SubmitResponse).map((r) => ({
    Id: r.Id,
    PASICoreVersion: r.PASICoreVersion,
    Rejections: rejectionsOf(r),
  }));
}

function describeError(error) {
  const described = { message: String(error && error.message ? error.message : error) };
  if (error && error.code) described.code = error.code;
  if (error && error.response && error.response.status) described.httpStatus = error.response.status;
  if (error && typeof error.body === 'string') described.body = error.body.slice(0, 4000);
  return described;
}

function faultOf(error) {
  // node-soap rejects with an Error carrying the parsed envelope (root) and the HTTP response.
  const envelope = error && error.root && error.root.Envelope;
  const fault = envelope && envelope.Body && envelope.Body.Fault;
  if (!fault) {
    return null;
  }
  const detail = fault.detail || {};
  const pasiFault = detail.PASIFault || {};
  const errors = asList(pasiFault.Errors && pasiFault.Errors.FaultError).map((e) => ({
    Path: e.Path === undefined ? null : e.Path,
    Line: e.Line === undefined ? null : e.Line,
    Text: e.Text,
  }));
  return {
    faultcode: fault.faultcode,
    faultstring: fault.faultstring,
    httpStatus: error.response ? error.response.status : null,
    PASIFault: {
      RuleId: pasiFault.RuleId,
      RuleIdType: typeof pasiFault.RuleId,
      Message: pasiFault.Message,
      MessageID: pasiFault.MessageID,
      Errors: errors,
    },
  };
}

async function step(report, name, body) {
  const entry = { name };
  report.steps.push(entry);
  try {
    Object.assign(entry, await body());
  } catch (error) {
    entry.error = describeError(error);
    const fault = faultOf(error);
    if (fault) entry.fault = fault;
    report.ok = false;
  }
  return entry;
}

async function main() {
  const plan = readPlan();
  const base = plan.baseUrl;
  const report = { ok: true, soapVersion: SOFTWARE.Version, node: process.version, steps: [] };
  const options = { timeout: REQUEST_TIMEOUT_MS };

  let school;
  let ministry;
  const wsdl = await step(report, 'wsdl', async () => {
    school = await clientFor(`${base}/PASIService`, plan.certs.school, plan.certs.ca);
    ministry = await clientFor(`${base}/PASISystem`, plan.certs.ministry, plan.certs.ca);
    return {
      serviceOperations: Object.keys(school.describe().PASIService.PASIService),
      systemOperations: Object.keys(ministry.describe().PASISystem.PASISystem),
    };
  });
  if (wsdl.error) {
    return report;
  }

  const registration = plan.registration;
  const submit = async (label, records) => {
    const caller = callerInfo(plan.schoolOrganizationCode, label);
    const [answer, rawResponse, , rawRequest] = await school.SubmitDiplomaExamMarkAsync({
      request: { CallerInfo: caller, ExamMarks: { ExamMarkInfo: records } },
    }, options);
    const result = answer.SubmitDiplomaExamMarkResult;
    return {
      clientMessageId: caller.ClientMessageID,
      messageId: result.MessageID,
      responses: submitResponses(result),
      requestBytes: Buffer.byteLength(rawRequest || ''),
      responseBytes: Buffer.byteLength(rawResponse || ''),
    };
  };

  // (1) create a registration: a new RefId with version 0, the student's school's sittings.
  const created = await step(report, 'create', async () => submit('create', [
    examMark(registration.RefId, registration.StateProvinceId, registration.ExamRefId, 0,
      registration.sittings),
  ]));

  // (2) update that record with the version the create returned: another writing centre.
  await step(report, 'update', async () => {
    const version = created.responses && created.responses[0] ? created.responses[0].PASICoreVersion : 0;
    const answer = await submit('update', [
      examMark(registration.RefId, registration.StateProvinceId, registration.ExamRefId, version,
        registration.updatedSittings),
    ]);
    answer.sentVersion = version;
    return answer;
  });

  // (3) a rejected record: an unknown ASN (rule 9059), version 0 in the answer.
  await step(report, 'rejected', async () => submit('rejected', [
    examMark(crypto.randomUUID(), plan.unknownAsn, registration.ExamRefId, 0, registration.sittings),
  ]));

  // (4) a schema fault: a RefId that is not a GUID.  node-soap does not check facets before
  // sending, so this goes through the generated client; the answer must be a SOAP fault.
  await step(report, 'schemaFault', async () => {
    const caller = callerInfo(plan.schoolOrganizationCode, 'fault');
    try {
      const [answer] = await school.SubmitDiplomaExamMarkAsync({
        request: {
          CallerInfo: caller,
          ExamMarks: { ExamMarkInfo: [examMark(plan.badRefId, registration.StateProvinceId,
            registration.ExamRefId, 0, registration.sittings)] },
        },
      }, options);
      const result = answer.SubmitDiplomaExamMarkResult;
      return { unexpectedAnswer: { messageId: result.MessageID, responses: submitResponses(result) } };
    } catch (error) {
      const fault = faultOf(error);
      if (!fault) {
        throw error;
      }
      return { clientMessageId: caller.ClientMessageID, fault };
    }
  });

  // (5) award, as the Ministry on PASISystem.
  const award = await step(report, 'award', async () => {
    const caller = callerInfo(plan.ministryOrganizationCode, 'award');
    const [answer] = await ministry.SubmitCredentialAwardingMultipleAsync({
      request: {
        CallerInfo: caller,
        StateProvinceIds: { StateProvinceId: [plan.award.StateProvinceId] },
      },
    }, options);
    const result = answer.SubmitCredentialAwardingMultipleResult;
    const responses = asList(result.SubmitCredentialResponses
      && result.SubmitCredentialResponses.SubmitCredentialResponse).map((r) => ({
      StateProvinceId: r.StateProvinceId,
      CredentialType: r.CredentialType === undefined ? null : r.CredentialType,
      CredentialNumber: r.CredentialNumber,
      PASICoreVersion: r.PASICoreVersion,
      Rejections: rejectionsOf(r),
    }));
    return { clientMessageId: caller.ClientMessageID, messageId: result.MessageID, responses };
  });

  // (6) a document order for the credential just awarded: one item, its document type from the
  // credential type's code table attribute, Manual Mail to the student's current address.
  await step(report, 'order', async () => {
    const awarded = award.responses && award.responses[0];
    if (!awarded || !awarded.CredentialType || awarded.CredentialNumber === '0') {
      throw new Error(`nothing was awarded to order: ${JSON.stringify(award)}`);
    }
    const documentType = plan.documentTypes[awarded.CredentialType];
    const address = plan.award.address;
    const item = {
      StateProvinceId: awarded.StateProvinceId,
      DocumentType: documentType,
      CredentialNumber: awarded.CredentialNumber,
      DocumentDeliveryMethod: 'ManualMail',
      DocumentLanguage: 'EN',
      ProcessExpectation: 'Standard',
      NumberOfCopies: 1,
      AmountCollected: '0.00',
      RecipientIsStudent: true,
      RecipientName: plan.award.RecipientName,
      AddressLines: { AddressLine: address.AddressLines },
      CityName: address.City,
      StateProvinceCode: address.ProvinceState,
      PostalCode: address.PostalCode,
      CountryName: address.Country,
    };
    const caller = callerInfo(plan.ministryOrganizationCode, 'order');
    const [answer] = await ministry.ConstructDocumentOrderAsync({
      request: {
        CallerInfo: caller,
        DocumentOrderId: 0,
        PASICoreVersion: 0,
        BillingInformationId: 0,
        OrderReceivedMethod: 'NotApplicable',
        OrderStatus: 'Ordered',
        IsDeleted: false,
        DocumentOrderItems: { DocumentOrderConstructRequestItem: [item] },
        OrderPlacedUtcTime: new Date().toISOString(),
        RequestorName: 'Alberta Education',
      },
    }, options);
    const result = answer.ConstructDocumentOrderResult;
    return {
      sentItem: item,
      clientMessageId: caller.ClientMessageID,
      messageId: result.MessageID,
      DocumentOrderId: result.DocumentOrderId,
      PASICoreVersion: result.PASICoreVersion,
      Rejections: rejectionsOf(result),
    };
  });
  // (7) read the registration back as the school (GetDiplomaExamMark): Normal with its version;
  // an unknown RefId is Unknown.
  await step(report, 'read', async () => {
    const caller = callerInfo(plan.schoolOrganizationCode, 'read');
    const [answer] = await school.GetDiplomaExamMarkAsync({
      request: {
        CallerInfo: caller,
        ExamMarks: { DiplomaExamMarkRequestItem: [
          { RefId: registration.RefId }, { RefId: plan.unknownRefId, ExpectedVersion: 0 }] },
      },
    }, options);
    const result = answer.GetDiplomaExamMarkResult;
    const items = asList(result.DiplomaExamMarks && result.DiplomaExamMarks.DiplomaExamMarkResponse)
      .map((item) => ({
        RefId: item.RefId,
        AvailabilityStatus: item.AvailabilityStatus,
        PASICoreVersion: item.ExamMark ? item.ExamMark.PASICoreVersion : null,
        StateProvinceId: item.ExamMark ? item.ExamMark.StateProvinceId : null,
        sittings: item.ExamMark ? asList(item.ExamMark.ComponentMarks
          && item.ExamMark.ComponentMarks.ComponentMarkInfo).map((c) => c.ExamSittingRefId) : [],
      }));
    return { clientMessageId: caller.ClientMessageID, messageId: result.MessageID, items };
  });

  // (8) the changes of the exam's school year since version 0 (IsDataAvailable), as the school.
  await step(report, 'sync', async () => {
    const caller = callerInfo(plan.schoolOrganizationCode, 'sync');
    const [answer] = await school.IsDataAvailableAsync({
      request: {
        CallerInfo: caller,
        WaitTimeInMinutes: 0,
        NotificationTypes: { DataNotificationRequestTypeInfo: [
          { NotificationType: plan.notificationType, MaxPASICoreVersion: 0 }] },
      },
    }, options);
    const result = answer.IsDataAvailableResult;
    const results = asList(result.Results && result.Results.DataNotificationResultTypeInfo)
      .map((r) => ({
        NotificationType: r.NotificationType,
        MaxPASICoreVersion: r.MaxPASICoreVersion,
        MoreAvailable: r.MoreAvailable,
        changes: asList(r.Changes && r.Changes.DataNotificationIdVersion)
          .map((c) => ({ Id: c.Id, PASICoreVersion: c.PASICoreVersion })),
      }));
    return { clientMessageId: caller.ClientMessageID, messageId: result.MessageID, results };
  });

  // (9) the awarded student's credentials and (10) document orders, as the Ministry.
  for (const [name, operation, resultName, listName] of [
    ['credentials', 'GetStudentCredentialsAsync', 'GetStudentCredentialsResult', 'StudentCredentialsGetResponseItem'],
    ['orders', 'GetDocumentOrdersAsync', 'GetDocumentOrdersResult', 'StudentDocumentOrders']]) {
    await step(report, name, async () => {
      const caller = callerInfo(plan.ministryOrganizationCode, name);
      const [answer] = await ministry[operation]({
        request: { CallerInfo: caller, StateProvinceIds: { StateProvinceId: [plan.award.StateProvinceId] } },
      }, options);
      const result = answer[resultName];
      const students = asList(result.Students && result.Students[listName]).map((s) => ({
        StateProvinceId: s.StateProvinceId,
        Rejections: rejectionsOf(s),
        credentials: asList(s.Credentials && s.Credentials.StudentCredentialInfo).map((c) => ({
          CredentialNumber: c.CredentialNumber, IsActive: c.IsActive, PASICoreVersion: c.PASICoreVersion })),
        orders: asList(s.DocumentOrders && s.DocumentOrders.DocumentOrdersGetInfo).map((o) => ({
          DocumentOrderId: o.DocumentOrderId,
          OrderStatus: o.OrderStatus,
          items: asList(o.DocumentOrderItems && o.DocumentOrderItems.DocumentOrdersGetResponseItem)
            .map((i) => ({ CredentialNumber: i.CredentialNumber, OrderItemStatus: i.OrderItemStatus })),
        })),
      }));
      return { clientMessageId: caller.ClientMessageID, messageId: result.MessageID, students };
    });
  }
  return report;
}

main().then((report) => {
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}, (error) => {
  process.stdout.write(`${JSON.stringify({ ok: false, fatal: describeError(error) }, null, 1)}\n`);
  process.exitCode = 2;
});
