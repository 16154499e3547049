/**
 * Print the broker and host settings the templates derive from a handlers directory:
 *
 *   node --conditions=@mailroom/source infra/derive.ts [--handlers DIR]   (default examples/handlers)
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { deriveSettings } from "./derive-settings.ts";
import { EXAMPLE_HANDLERS, handlersApp } from "./handlers-app.ts";

const { values } = parseArgs({ options: { handlers: { type: "string" } } });
const dir = values.handlers ? resolve(values.handlers) : EXAMPLE_HANDLERS;
const s = deriveSettings(await handlersApp(dir));
console.log(`handlers: ${dir} (${s.handlers.join(", ")})
largest maxAttempts ${s.limits.maxAttempts}, receive limit ${s.limits.maxReceives}

AWS    SQS RedrivePolicy maxReceiveCount: ${s.sqsMaxReceiveCount.standard} (standard), ${s.sqsMaxReceiveCount.fifo} (FIFO)   infra/aws derives these at synth
Aliyun MNS DlqPolicy MaxReceiveCount: ${s.mnsMaxReceiveCount}   infra/aliyun/ros.yaml parameter MaxReceiveCount
Azure  Service Bus MaxDeliveryCount: ${s.azure.serviceBusMaxDeliveryCount}; host.json (npm run functions:build writes it into the artefact):
${JSON.stringify(s.azure.hostJson, null, 2)}
${s.azure.notes.map((n) => `  - ${n}`).join("\n")}`);
