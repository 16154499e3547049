import { describe, expect, it } from "vitest";
import { parseAmqpUrl, redactUrl, scrub } from "./url.ts";

describe("parseAmqpUrl", () => {
  it("reads credentials, host, port, vhost and Mailroom options", () => {
    const { target, options } = parseAmqpUrl(
      "amqp://app:s3cr%40t@rabbit.local:5673/prod?queue=orders&exchange=events&prefetch=50&queueType=quorum&bind=a,b&heartbeat=30",
    );
    expect(target.connect).toMatchObject({
      protocol: "amqp",
      hostname: "rabbit.local",
      port: 5673,
      username: "app",
      password: "s3cr@t",
      vhost: "prod",
      heartbeat: 30,
    });
    expect(options).toEqual({
      queue: "orders",
      exchange: "events",
      prefetch: 50,
      queueType: "quorum",
      bindings: ["a", "b"],
    });
    expect(target.redacted).not.toContain("s3cr");
    expect(target.redacted).toContain("app:***@rabbit.local");
  });

  it("defaults the vhost to / (also from %2f) and amqps to port 5671", () => {
    expect(parseAmqpUrl("amqp://h").target.connect.vhost).toBe("/");
    expect(parseAmqpUrl("amqp://h/%2f").target.connect.vhost).toBe("/");
    expect(parseAmqpUrl("amqps://h/v").target.connect).toMatchObject({
      protocol: "amqps",
      port: 5671,
      vhost: "v",
    });
  });

  it("rejects unknown parameters and other schemes without echoing the password", () => {
    expect(() => parseAmqpUrl("amqp://u:hunter22@h?qeue=x")).toThrow(/unknown AMQP URL parameter "qeue"/);
    expect(() => parseAmqpUrl("http://u:hunter22@h")).toThrow(/expected an amqp/);
    try {
      parseAmqpUrl("amqp://u:hunter22@h?prefetch=-1");
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter22");
    }
  });
});

describe("redaction", () => {
  it("hides passwords in URLs and scrubs a secret from any text", () => {
    expect(redactUrl("amqp://u:pw123@h:5672/v?queue=q")).toBe("amqp://u:***@h:5672/v?queue=q");
    expect(redactUrl("not a url amqp://u:pw123@h")).not.toContain("pw123");
    expect(scrub("failed: amqp://u:pw123@h and pw123 again", "pw123")).toBe(
      "failed: amqp://u:***@h and *** again",
    );
  });
});
