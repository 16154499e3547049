import { ConfigError, MailroomError, TransportError } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { CliError, describeFailure, ExitCode } from "./errors.ts";

describe("describeFailure", () => {
  it("prints everyday failures as one line without a stack, with an exit code per kind", () => {
    const unreachable = describeFailure(
      new TransportError("could not connect to RabbitMQ at amqp://guest:***@h:5672/: connect ECONNREFUSED"),
    );
    expect(unreachable).toEqual({
      text: "could not connect to RabbitMQ at amqp://guest:***@h:5672/: connect ECONNREFUSED",
      exitCode: ExitCode.unavailable,
    });
    expect(describeFailure(new ConfigError("bad option")).exitCode).toBe(ExitCode.usage);
    expect(describeFailure(new CliError("no such file")).exitCode).toBe(ExitCode.usage);
    expect(describeFailure(new MailroomError("publish_buffer_full", "publish buffer is full"))).toEqual({
      text: "publish buffer is full",
      exitCode: ExitCode.failed,
    });

    const noCredentials = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const creds = describeFailure(noCredentials);
    expect(creds.exitCode).toBe(ExitCode.usage);
    expect(creds.text).toMatch(/^no AWS credentials: .*AWS_PROFILE/);

    const denied = Object.assign(new Error("User is not authorized to perform sqs:ReceiveMessage"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    expect(describeFailure(denied)).toEqual({
      text: "AWS refused the request: AccessDenied: User is not authorized to perform sqs:ReceiveMessage (HTTP 403)",
      exitCode: ExitCode.unavailable,
    });
    for (const d of [unreachable, creds]) expect(d.text).not.toMatch(/\n\s+at /);
  });

  it("keeps the stack of a real crash, so it can be reported, with credentials masked", () => {
    const crash = describeFailure(new TypeError("x is undefined at amqp://u:p4ss@h/"));
    expect(crash.exitCode).toBe(ExitCode.failed);
    expect(crash.text).toMatch(/^unexpected failure: TypeError: x is undefined/);
    expect(crash.text).toMatch(/\n\s+at /);
    expect(crash.text).not.toContain("p4ss");
  });
});
