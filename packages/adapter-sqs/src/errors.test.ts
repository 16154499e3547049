import { ConfigError, TransportError } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { sqsFailure } from "./errors.ts";

/** An error as the AWS SDK throws it: its `name` is the service's error code. */
function awsError(name: string, message: string, fault: "client" | "server" = "client"): Error {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: 400 } });
}

describe("SQS failures at start-up", () => {
  it("credentials refused or missing are a ConfigError that says where credentials come from", () => {
    for (const name of [
      "InvalidClientTokenId",
      "SignatureDoesNotMatch",
      "CredentialsProviderError",
      "ExpiredToken",
    ]) {
      const error = sqsFailure(awsError(name, "no"), 'could not reach SQS queue "orders"');
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(/^could not reach SQS queue "orders": the AWS credentials were refused/);
      expect(error.message).toMatch(/AWS_PROFILE/);
    }
  });

  it("access denied and a missing queue are a ConfigError; throttling, server errors and a refused connection a TransportError", () => {
    expect(sqsFailure(awsError("AccessDenied", "nope"), "x")).toBeInstanceOf(ConfigError);
    expect(sqsFailure(awsError("QueueDoesNotExist", "gone"), "x").message).toMatch(/does not exist/);
    expect(sqsFailure(awsError("RequestThrottled", "slow"), "x")).toBeInstanceOf(TransportError);
    expect(sqsFailure(awsError("InternalError", "oops", "server"), "x")).toBeInstanceOf(TransportError);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(sqsFailure(refused, "x")).toBeInstanceOf(TransportError);
  });

  it("Mailroom's own errors pass through unchanged", () => {
    const own = new ConfigError("no dead-letter queue");
    expect(sqsFailure(own, "x")).toBe(own);
  });
});
