// The connections the secrets test uses: per transport, one that works with the secret in its
// URL or environment, and some that fail with it (refused, unreachable).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type App, createApp, type Logger } from "@mailroom/core";
import { AMQP_URL } from "../../adapter-amqp/test/helpers.ts";
import type { Azurite } from "../../adapter-azure/test/azurite.ts";
import type { MnsTestServer } from "../../adapter-mns/src/testing/index.ts";
import { REDIS_URL } from "../../adapter-redis/test/helpers.ts";
import type { Emulator } from "../../adapter-sqs/test/helpers.ts";

export { recordingLogger } from "../../adapter-amqp/test/helpers.ts";

/** A transport URL and the environment it is opened with. */
export interface Endpoint {
  url: string;
  env: Record<string, string>;
}

/** One transport: a working connection, and failing ones with what makes them fail. */
export interface Connection {
  name: string;
  working: Endpoint;
  failing: Array<Endpoint & { what: string }>;
}

/** What the connections need: the secret, and the servers the test started. */
export interface ConnectionSetup {
  secret: string;
  /** A RabbitMQ user whose password is the secret, with the vhost of the same name; also a Redis ACL user. */
  rabbitUser: string;
  /** An Azurite that knows the account `azureAccount`, whose key is `azureKey`. */
  azurite: Azurite;
  azureAccount: string;
  azureKey: string;
  sqs: Emulator;
  mns: MnsTestServer;
  /** A local port nothing listens on. */
  closed: number;
  /** A folder for the SQLite queue, removed by the caller. */
  dir: string;
}

/** The connections of every transport, each carrying `secret` where its users would put one. */
export function connections(s: ConnectionSetup): Connection[] {
  const queue = `mr-secrets-${process.pid}`;
  const amqp = (user: string, port?: number) => {
    const url = new URL(AMQP_URL);
    url.username = user;
    url.password = s.secret;
    if (port) url.port = String(port);
    url.pathname = `/${s.rabbitUser}`;
    return `${url.toString()}?queue=${queue}`;
  };
  s.sqs.createQueue(queue);
  const sqsEnv = {
    AWS_ACCESS_KEY_ID: "AKIAMRSECRETSTEST",
    AWS_SECRET_ACCESS_KEY: s.secret,
    AWS_SESSION_TOKEN: s.secret,
    AWS_REGION: "us-east-1",
  };
  // Short long polls: `--until-empty` ends on the first empty receive.
  const sqsUrl = (name: string, endpoint: string) =>
    `sqs://us-east-1/${name}?endpoint=${encodeURIComponent(endpoint)}&wait=1`;
  const mnsHost = s.mns.endpoint.slice("http://".length);
  const redis = (auth: string, port?: number) => {
    const url = new URL(REDIS_URL);
    if (port) url.port = String(port);
    return `redis://${auth}${url.host}/0?stream=${queue}&wait=200ms`;
  };
  const azure = (auth: string, port: number, query = "create=true&wait=1s") =>
    `azure-queue+http://${auth}127.0.0.1:${port}/${s.azureAccount}/${queue}?${query}`;
  const notAFolder = join(s.dir, "not-a-folder");
  writeFileSync(notAFolder, "");
  const mnsUrl = (auth: string, host: string) =>
    `mns+http://${auth}${host}/${queue}?accountId=${s.mns.accountId}&create=true&wait=1`;
  return [
    {
      name: "rabbitmq",
      working: { url: amqp(s.rabbitUser), env: {} },
      failing: [
        { what: "wrong password", url: amqp("guest"), env: {} },
        { what: "unreachable", url: amqp(s.rabbitUser, s.closed), env: {} },
      ],
    },
    {
      name: "sqs",
      working: { url: sqsUrl(queue, s.sqs.endpoint), env: sqsEnv },
      failing: [
        { what: "missing queue", url: sqsUrl("mr-secrets-no-such-queue", s.sqs.endpoint), env: sqsEnv },
        { what: "unreachable", url: sqsUrl(queue, `http://127.0.0.1:${s.closed}`), env: sqsEnv },
      ],
    },
    {
      name: "mns",
      working: { url: mnsUrl(`mr-secrets-key:${s.secret}@`, mnsHost), env: {} },
      failing: [
        {
          what: "wrong secret and an STS token in the environment",
          url: mnsUrl("", mnsHost),
          env: {
            ALIBABA_CLOUD_ACCESS_KEY_ID: "mr-secrets-key",
            ALIBABA_CLOUD_ACCESS_KEY_SECRET: `${s.secret}Wrong`,
            ALIBABA_CLOUD_SECURITY_TOKEN: s.secret,
          },
        },
        { what: "unreachable", url: mnsUrl(`mr-secrets-key:${s.secret}@`, `127.0.0.1:${s.closed}`), env: {} },
      ],
    },
    {
      name: "redis",
      working: { url: redis(`${s.rabbitUser}:${s.secret}@`), env: {} },
      failing: [
        { what: "a wrong password", url: redis(`${s.rabbitUser}:${s.secret}Wrong@`), env: {} },
        { what: "unreachable", url: redis(`:${s.secret}@`, s.closed), env: {} },
      ],
    },
    {
      name: "azure",
      working: {
        url: azure(`${s.azureAccount}:${encodeURIComponent(s.azureKey)}@`, s.azurite.port),
        env: {},
      },
      failing: [
        {
          what: "a wrong account key",
          url: azure(`${s.azureAccount}:${encodeURIComponent(`${s.azureKey}Wrong`)}@`, s.azurite.port),
          env: {},
        },
        {
          what: "a SAS token in the environment the account does not take",
          url: azure("", s.azurite.port),
          env: { AZURE_STORAGE_SAS_TOKEN: `sv=2023-11-03&ss=q&srt=sco&sp=rwdlacup&sig=${s.secret}` },
        },
        {
          what: "unreachable",
          url: azure(`${s.azureAccount}:${encodeURIComponent(s.azureKey)}@`, s.closed),
          env: {},
        },
      ],
    },
    {
      name: "sqlite",
      working: { url: `sqlite:${join(s.dir, "q.db")}?queue=secrets&token=${s.secret}`, env: {} },
      failing: [
        {
          // A queue file under a regular file: its folder cannot be made.
          what: "a folder that cannot be made",
          url: `sqlite:${notAFolder}/q.db?token=${s.secret}`,
          env: {},
        },
      ],
    },
  ];
}

/** An app for the API half of the test: it never gets to run a handler. */
export function handlersApp(logger: Logger): App {
  const app = createApp({ name: "secrets", logger });
  app.handle("order_created", () => {});
  return app;
}
