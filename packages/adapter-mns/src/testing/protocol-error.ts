import { document, fieldsXml } from "./xml.ts";

/** An MNS error answer: HTTP status, MNS error code and message, as real MNS sends them. */
export class MnsProtocolError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "MnsProtocolError";
    this.status = status;
    this.code = code;
  }
}

/** The errors the test server answers, by MNS error code. */
export const errors = {
  messageNotExist: () => new MnsProtocolError(404, "MessageNotExist", "Message not exist."),
  queueNotExist: (q: string) =>
    new MnsProtocolError(404, "QueueNotExist", `The queue name you provided is not exist: ${q}.`),
  queueAlreadyExist: (q: string) =>
    new MnsProtocolError(
      409,
      "QueueAlreadyExist",
      `The queue you want to create already exists with different attributes: ${q}.`,
    ),
  receiptHandleError: () =>
    new MnsProtocolError(400, "ReceiptHandleError", "The receipt handle you provide is not valid."),
  malformedXml: (why: string) =>
    new MnsProtocolError(400, "MalformedXML", `The XML you provided was not well-formed: ${why}.`),
  invalidArgument: (what: string) => new MnsProtocolError(400, "InvalidArgument", what),
  invalidQueueName: (q: string) =>
    new MnsProtocolError(400, "InvalidQueueName", `The queue name you provided is not valid: ${q}.`),
  missingVersion: () =>
    new MnsProtocolError(400, "MissingVersionHeader", "The x-mns-version header is missing."),
  invalidVersion: (v: string) =>
    new MnsProtocolError(
      400,
      "InvalidVersionHeader",
      `The x-mns-version "${v}" is not supported; use 2015-06-06.`,
    ),
  missingAuthorization: () =>
    new MnsProtocolError(400, "MissingAuthorizationHeader", "The Authorization header is missing."),
  invalidAuthorization: () =>
    new MnsProtocolError(
      400,
      "InvalidAuthorizationHeader",
      'The Authorization header must be "MNS <AccessKeyId>:<Signature>".',
    ),
  missingDate: () => new MnsProtocolError(400, "MissingDateHeader", "The Date header is missing."),
  timeExpired: () => new MnsProtocolError(408, "TimeExpired", "The http request you sent is expired."),
  invalidAccessKeyId: () =>
    new MnsProtocolError(403, "InvalidAccessKeyId", "The access Id you provided does not exist."),
  signatureDoesNotMatch: () =>
    new MnsProtocolError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided.",
    ),
  invalidDigest: () =>
    new MnsProtocolError(400, "InvalidDigest", "The Content-MD5 you specified is not valid."),
  accessDenied: (why: string) => new MnsProtocolError(403, "AccessDenied", why),
  invalidRequest: (why: string) => new MnsProtocolError(400, "InvalidRequestURL", why),
};

/** The XML body of an error answer. */
export function errorXml(error: MnsProtocolError, requestId: string, hostId: string): string {
  return document(
    "Error",
    fieldsXml({ Code: error.code, Message: error.message, RequestId: requestId, HostId: hostId }),
  );
}
