import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { azureQueue, hostJsonFor } from "../../functions/azure-queue/function.ts";
import { EXAMPLE_HANDLERS } from "../handlers-app.ts";
import { INFRA } from "./yaml-files.ts";

interface ArmResource {
  type: string;
  name: string;
  kind?: string;
  dependsOn?: string[];
  sku?: { name: string; tier?: string };
  properties?: Record<string, unknown>;
}
interface ArmTemplate {
  parameters: Record<string, { type: string; defaultValue?: string }>;
  variables: Record<string, string>;
  resources: ArmResource[];
  outputs: Record<string, { value: string }>;
}

const template = JSON.parse(readFileSync(join(INFRA, "azure/azuredeploy.json"), "utf8")) as ArmTemplate;
const site = template.resources.find((r) => r.type === "Microsoft.Web/sites")!;
const siteConfig = site.properties!.siteConfig as {
  linuxFxVersion: string;
  appSettings: Array<{ name: string; value: string }>;
};
const setting = (name: string) => siteConfig.appSettings.find((s) => s.name === name)?.value;

describe("infra/azure/host.json", () => {
  it("is what the build derives from the example handlers (maxDequeueCount, visibilityTimeout, encoding, batch size)", async () => {
    const committed = JSON.parse(readFileSync(join(INFRA, "azure/host.json"), "utf8"));
    expect(committed).toEqual(await hostJsonFor(EXAMPLE_HANDLERS));
    expect(committed.extensions.queues).toMatchObject({
      maxDequeueCount: 5,
      visibilityTimeout: "00:00:01",
      batchSize: 16,
    });
  });
});

describe("infra/azure/azuredeploy.json (ARM)", () => {
  it("creates the trigger's queue and its -poison queue, where Mailroom and the host put dead letters", () => {
    const queues = template.resources.filter(
      (r) => r.type === "Microsoft.Storage/storageAccounts/queueServices/queues",
    );
    expect(queues.map((q) => q.name)).toEqual([
      "[concat(parameters('storageAccountName'), '/default/', parameters('queueName'))]",
      "[concat(parameters('storageAccountName'), '/default/', variables('poisonQueueName'))]",
    ]);
    expect(template.variables.poisonQueueName).toBe("[concat(parameters('queueName'), '-poison')]");
  });

  it("runs the function app on the Node version the artefact targets, from the deployed zip, with v4 and the node worker", () => {
    expect(site.kind).toBe("functionapp,linux");
    expect(siteConfig.linuxFxVersion).toBe(`Node|${azureQueue.target.replace("node", "")}`);
    expect(setting("FUNCTIONS_EXTENSION_VERSION")).toBe("~4");
    expect(setting("FUNCTIONS_WORKER_RUNTIME")).toBe("node");
    expect(setting("WEBSITE_RUN_FROM_PACKAGE")).toBe("1");
  });

  it("hands the app the storage connection its trigger and dead letters use, and the queue to register", () => {
    expect(setting("AzureWebJobsStorage")).toBe("[variables('storageConnection')]");
    expect(template.variables.storageConnection).toContain(
      "listKeys(resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))",
    );
    expect(setting("MAILROOM_STORAGE_QUEUES")).toBe("[parameters('queueName')]");
  });

  it("every parameter, variable and dependsOn it uses is declared in the template", () => {
    const text = JSON.stringify(template);
    for (const [, name] of text.matchAll(/parameters\('([^']+)'\)/g))
      expect(template.parameters, `parameter ${name}`).toHaveProperty(name!);
    for (const [, name] of text.matchAll(/variables\('([^']+)'\)/g))
      expect(template.variables, `variable ${name}`).toHaveProperty(name!);
    for (const resource of template.resources) {
      for (const dep of resource.dependsOn ?? []) {
        const [, type, name] = /^\[resourceId\('([^']+)', (.+)\)\]$/.exec(dep)!;
        expect(
          template.resources.some((r) => r.type === type && r.name === `[${name}]`),
          dep,
        ).toBe(true);
      }
    }
  });
});
