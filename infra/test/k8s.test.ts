import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INFRA, type K8sObject, readYaml } from "./yaml-files.ts";

/** The Worker's default drain (core's `shutdownTimeoutMs`, which `mailroom run` keeps). */
const DRAIN_SECONDS = 30;

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: { cpu?: string; memory?: string } };
}
interface DeploymentSpec {
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: { serviceAccountName: string; terminationGracePeriodSeconds: number; containers: Container[] };
  };
}
interface Trigger {
  type: string;
  metadata: Record<string, string>;
  authenticationRef: { name: string };
}

const workerObjects = readYaml<K8sObject>("k8s/worker.yaml");
const [secret] = readYaml<K8sObject>("k8s/secret.yaml");
const deployment = workerObjects.find((o) => o.kind === "Deployment")!;
const spec = deployment.spec as DeploymentSpec;
const container = spec.template.spec.containers[0]!;
const healthSource = readFileSync(join(INFRA, "../packages/core/src/runtime/health.ts"), "utf8");

/** Secret key references of a KEDA TriggerAuthentication. */
function secretRefs(auth: K8sObject): Array<{ name: string; key: string }> {
  return (
    (auth.spec as { secretTargetRef?: Array<{ name: string; key: string }> }).secretTargetRef ?? []
  ).map(({ name, key }) => ({ name, key }));
}

describe("infra/k8s/worker.yaml", () => {
  it("probes liveness and readiness on paths the worker serves, on the port the metrics annotation names", () => {
    const port = container.ports!.find((p) => p.name === container.livenessProbe!.httpGet.port)!;
    expect(port.containerPort).toBe(8080);
    expect(spec.template.metadata.annotations["prometheus.io/port"]).toBe(String(port.containerPort));
    expect(container.livenessProbe!.httpGet.path).toBe("/healthz");
    // Readiness is connected and receiving; liveness is progress.
    const readiness = container.readinessProbe!.httpGet.path;
    expect(readiness).toBe("/readyz");
    expect(healthSource).toContain(`"${readiness}"`);
  });

  it("gives the pod longer than the worker's drain, and asks for resources", () => {
    expect(spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(DRAIN_SECONDS);
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(container.resources?.requests?.memory).toBeDefined();
  });

  it("selects its own pods, runs as its ServiceAccount, and reads only keys the Secret has", () => {
    expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
    const account = workerObjects.find((o) => o.kind === "ServiceAccount")!;
    expect(spec.template.spec.serviceAccountName).toBe(account.metadata.name);
    for (const e of container.env!) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      expect(ref.name).toBe(secret!.metadata.name);
      expect(Object.keys(secret!.stringData!), `${e.name} reads key ${ref.key}`).toContain(ref.key);
    }
    expect(container.env!.find((e) => e.name === "MAILROOM_TRANSPORT")?.valueFrom?.secretKeyRef?.key).toBe(
      "url",
    );
  });
});

describe.each([
  ["rabbitmq.yaml", "rabbitmq", ["queueName", "mode", "value"]],
  ["sqs.yaml", "aws-sqs-queue", ["queueURL", "queueLength", "awsRegion"]],
  ["azure-queue.yaml", "azure-queue", ["queueName", "queueLength"]],
])("infra/k8s/keda/%s", (file, type, fields) => {
  const objects = readYaml<K8sObject>(`k8s/keda/${file}`);
  const scaled = objects.filter((o) => o.kind === "ScaledObject");
  const auths = objects.filter((o) => o.kind === "TriggerAuthentication");

  it(`scales the worker Deployment with a ${type} trigger`, () => {
    expect(scaled).toHaveLength(1);
    const s = scaled[0]!.spec as {
      scaleTargetRef: { name: string };
      minReplicaCount: number;
      maxReplicaCount: number;
      triggers: Trigger[];
    };
    expect(s.scaleTargetRef.name).toBe(deployment.metadata.name);
    expect(s.maxReplicaCount).toBeGreaterThan(s.minReplicaCount);
    expect(s.triggers.map((t) => t.type)).toEqual([type]);
    for (const field of fields) expect(s.triggers[0]!.metadata, field).toHaveProperty(field);
  });

  it("defines the TriggerAuthentication it refers to, reading only keys the Secret has", () => {
    const s = scaled[0]!.spec as { triggers: Trigger[] };
    for (const t of s.triggers) {
      const auth = auths.find((a) => a.metadata.name === t.authenticationRef.name);
      expect(auth, `TriggerAuthentication ${t.authenticationRef.name}`).toBeDefined();
      for (const ref of secretRefs(auth!)) {
        expect(ref.name).toBe(secret!.metadata.name);
        expect(Object.keys(secret!.stringData!)).toContain(ref.key);
      }
    }
  });
});

describe("infra/k8s/keda: SQS", () => {
  it("uses the worker's own IAM role (the ServiceAccount's), and watches the queue the worker's region names", () => {
    const objects = readYaml<K8sObject>("k8s/keda/sqs.yaml");
    const auth = objects.find((o) => o.kind === "TriggerAuthentication")!;
    expect(auth.spec).toEqual({ podIdentity: { provider: "aws", identityOwner: "workload" } });
    const account = workerObjects.find((o) => o.kind === "ServiceAccount")!;
    expect(account.metadata.annotations?.["eks.amazonaws.com/role-arn"]).toMatch(
      /^arn:aws:iam::\d{12}:role\//,
    );
    const trigger = (objects.find((o) => o.kind === "ScaledObject")!.spec as { triggers: Trigger[] })
      .triggers[0]!;
    expect(new URL(trigger.metadata.queueURL!).hostname).toBe(
      `sqs.${trigger.metadata.awsRegion}.amazonaws.com`,
    );
  });
});
