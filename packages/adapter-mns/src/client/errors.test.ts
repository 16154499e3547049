import { describe, expect, it } from "vitest";
import {
  MnsAuthError,
  MnsError,
  MnsInvalidArgumentError,
  MnsNetworkError,
  MnsQueueNotExistError,
  MnsReceiptHandleError,
  mnsError,
} from "./errors.ts";

/** An error as @alicloud/mns 1.2.0 throws it. */
function sdkError(code: string, status: number, message: string) {
  const e = new Error(
    `GET http://1.mns.cn-hangzhou.aliyuncs.com/queues/q failed with ${status}. requestid: ABC123, hostid: http://1.mns, message: ${message}`,
  );
  e.name = `MNS${code}Error`;
  return e;
}

describe("mnsError", () => {
  it("maps the SDK's err.name to typed errors with code, status and request id", () => {
    const e = mnsError(
      sdkError("QueueNotExist", 404, "The queue name you provided is not exist."),
      "SendMessage",
    );
    expect(e).toBeInstanceOf(MnsQueueNotExistError);
    expect(e).toMatchObject({ mnsCode: "QueueNotExist", status: 404, requestId: "ABC123" });
    expect(e.message).toBe(
      "MNS SendMessage failed: QueueNotExist: The queue name you provided is not exist.",
    );
    expect(mnsError(sdkError("ReceiptHandleError", 400, "x"), "op")).toBeInstanceOf(MnsReceiptHandleError);
    expect(mnsError(sdkError("SignatureDoesNotMatch", 403, "x"), "op")).toBeInstanceOf(MnsAuthError);
    expect(mnsError(sdkError("MalformedXML", 400, "x"), "op")).toBeInstanceOf(MnsInvalidArgumentError);
    const other = mnsError(sdkError("QpsLimitExceeded", 403, "x"), "op");
    expect(other).toBeInstanceOf(MnsError);
    expect(other.mnsCode).toBe("QpsLimitExceeded");
  });

  it("anything else is a network error", () => {
    const e = new Error("connect ECONNREFUSED 127.0.0.1:9");
    e.name = "RequestError";
    const m = mnsError(e, "GetQueueAttributes");
    expect(m).toBeInstanceOf(MnsNetworkError);
    expect(m.message).toMatch(/got no answer \(RequestError: connect ECONNREFUSED/);
  });
});
