// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ROS templates write Fn::Sub placeholders as ${Name}
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { aliyunFcMns } from "../../functions/aliyun-fc-mns/function.ts";
import { handlersApp } from "../handlers-app.ts";
import { brokerMaxReceiveCount, retryLimitsOf } from "../retry-limits.ts";
import { INFRA, readYaml } from "./yaml-files.ts";

interface RosTemplate {
  ROSTemplateFormatVersion: string;
  Parameters: Record<string, { Type: string; Default: string | number }>;
  Resources: Record<string, { Type: string; DependsOn?: string; Properties: Record<string, unknown> }>;
}
interface Trigger {
  triggerName: string;
  triggerType: string;
  sourceArn?: string;
  triggerConfig: Record<string, unknown>;
}
interface ServerlessDevs {
  edition: string;
  vars: Record<string, string>;
  resources: Record<string, { component: string; props: Record<string, unknown> & { triggers: Trigger[] } }>;
}

const [ros] = readYaml<RosTemplate>("aliyun/ros.yaml");
const [s] = readYaml<ServerlessDevs>("aliyun/s.yaml");
const fn = Object.values(s!.resources)[0]!;
/** `${vars.name}` resolved as Serverless Devs does (other expressions left as they are). */
const vars = (value: unknown): string =>
  String(value).replace(/\$\{vars\.(\w+)\}/g, (_, k: string) => s!.vars[k]!);
const param = (name: string) => ros!.Parameters[name]!.Default;

describe("infra/aliyun/ros.yaml", () => {
  let derived: number;
  beforeAll(async () => {
    derived = brokerMaxReceiveCount(retryLimitsOf(await handlersApp()), { fifo: false });
  });

  it("the queue's DlqPolicy moves to its dead-letter queue after MaxReceiveCount receives, derived from the handlers", () => {
    const queue = ros!.Resources.Queue!;
    expect(queue.Type).toBe("ALIYUN::MNS::Queue");
    expect(queue.Properties.QueueName).toEqual({ Ref: "QueueName" });
    expect(queue.Properties.DlqPolicy).toEqual({
      Enabled: true,
      DeadLetterTargetQueue: { "Fn::GetAtt": ["DeadLetterQueue", "QueueName"] },
      MaxReceiveCount: { Ref: "MaxReceiveCount" },
    });
    expect(queue.DependsOn).toBe("DeadLetterQueue");
    expect(param("MaxReceiveCount")).toBe(derived);
  });

  it("the dead-letter queue is <queue>-dlq, where toAliyunFC and the worker look by default", () => {
    expect(ros!.Resources.DeadLetterQueue).toMatchObject({
      Type: "ALIYUN::MNS::Queue",
      Properties: { QueueName: { "Fn::Sub": "${QueueName}-dlq" } },
    });
  });

  it("every Ref and Fn::GetAtt names a parameter or resource of the template", () => {
    const names = new Set([...Object.keys(ros!.Parameters), ...Object.keys(ros!.Resources)]);
    const text = JSON.stringify(ros);
    for (const [, ref] of text.matchAll(/"Ref":"([^"]+)"/g)) expect(names, `Ref ${ref}`).toContain(ref);
    for (const [, target] of text.matchAll(/"Fn::GetAtt":\["([^"]+)"/g))
      expect(names, `GetAtt ${target}`).toContain(target);
    for (const [, sub] of text.matchAll(/\$\{([A-Za-z]+)\}/g))
      expect(names, `Fn::Sub \${${sub}}`).toContain(sub);
  });

  it("the function role may send to the queue and the dead-letter queue (copies and dead letters)", () => {
    const role = ros!.Resources.FunctionRole!.Properties as {
      AssumeRolePolicyDocument: { Statement: Array<{ Principal: { Service: string[] } }> };
      Policies: Array<{
        PolicyDocument: { Statement: Array<{ Action: string[]; Resource: Array<{ "Fn::Sub": string }> }> };
      }>;
    };
    expect(role.AssumeRolePolicyDocument.Statement[0]!.Principal.Service).toEqual(["fc.aliyuncs.com"]);
    const statement = role.Policies[0]!.PolicyDocument.Statement[0]!;
    expect(statement.Action).toContain("mns:SendMessage");
    expect(statement.Resource.map((r) => r["Fn::Sub"].split(":/queues/")[1])).toEqual([
      "${QueueName}",
      "${QueueName}-dlq",
    ]);
  });
});

describe("infra/aliyun/s.yaml (Serverless Devs, fc3)", () => {
  it("deploys the built artefact's index.handler on the Node.js runtime the bundle targets", () => {
    expect(s!.edition).toBe("3.0.0");
    expect(fn.component).toBe("fc3");
    expect(fn.props.handler).toBe("index.handler");
    expect(fn.props.runtime).toBe(`nodejs${aliyunFcMns.target.replace("node", "")}`);
    const code = resolve(INFRA, "aliyun", String(fn.props.code));
    expect(code).toBe(join(INFRA, "../functions/dist", aliyunFcMns.name));
  });

  it("runs as the role, reads the queue and topic, and dead-letters to the queue the ROS stack creates", () => {
    expect(vars(fn.props.role)).toMatch(new RegExp(`:role/${param("RoleName")}$`));
    expect(s!.vars.queue).toBe(param("QueueName"));
    expect(s!.vars.topic).toBe(param("TopicName"));
    const env = fn.props.environmentVariables as Record<string, string>;
    expect(vars(env.MAILROOM_DLQ)).toBe(`${param("QueueName")}-dlq`);
    expect(vars(env.MAILROOM_QUEUE)).toBe(param("QueueName"));
  });

  it("has an MNS queue trigger through EventBridge, pushing batches as CloudEvents", () => {
    const queue = fn.props.triggers.find((t) => t.triggerType === "eventbridge")!;
    const config = queue.triggerConfig as {
      eventSourceConfig: {
        eventSourceType: string;
        eventSourceParameters: { sourceMNSParameters: Record<string, unknown> };
      };
      runOptions: { mode: string; batchWindow: { CountBasedWindow: number; TimeBasedWindow: number } };
    };
    expect(config.eventSourceConfig.eventSourceType).toBe("MNS");
    const source = config.eventSourceConfig.eventSourceParameters.sourceMNSParameters;
    expect(vars(source.QueueName)).toBe(param("QueueName"));
    expect(vars(source.RegionId)).toBe(s!.vars.region);
    expect(config.runOptions.mode).toBe("event-streaming");
    // toAliyunFC remembers 50,000 finished ids per instance: a batch must stay below that.
    expect(config.runOptions.batchWindow.CountBasedWindow).toBeLessThanOrEqual(50_000);
  });

  it("has an MNS topic trigger in JSON format on the topic the ROS stack creates", () => {
    const topic = fn.props.triggers.find((t) => t.triggerType === "mns_topic")!;
    expect(topic.triggerConfig.notifyContentFormat).toBe("JSON");
    expect(vars(topic.triggerConfig.topicName)).toBe(param("TopicName"));
    expect(vars(topic.sourceArn)).toMatch(new RegExp(`:/topics/${param("TopicName")}$`));
  });

  it("names a code path `npm run functions:build` writes", () => {
    expect(String(fn.props.code)).toBe("../../functions/dist/aliyun-fc-mns");
    expect(existsSync(join(INFRA, "../functions/aliyun-fc-mns/function.ts"))).toBe(true);
  });
});
