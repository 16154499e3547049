import { azureFunctionSettings } from "@mailroom/adapter-azure";
import type { App } from "@mailroom/core";
import { brokerMaxReceiveCount, type RetryLimits, retryLimitsOf } from "./retry-limits.ts";

/** Every broker and host setting the templates derive from an app's retry policies. */
export interface DerivedSettings {
  handlers: string[];
  limits: RetryLimits;
  /** SQS RedrivePolicy maxReceiveCount (infra/aws computes it itself at synth). */
  sqsMaxReceiveCount: { standard: number; fifo: number };
  /** MNS DlqPolicy MaxReceiveCount: the `MaxReceiveCount` parameter of infra/aliyun/ros.yaml. */
  mnsMaxReceiveCount: number;
  /** Azure host.json queue settings and Service Bus MaxDeliveryCount, with what the host cannot honour. */
  azure: ReturnType<typeof azureFunctionSettings>;
}

/**
 * The settings of every template for an app's handlers, in one place: what `infra/derive.ts`
 * prints, so the values in ros.yaml and host.json can be set for your handlers.
 *
 * @example
 * deriveSettings(await handlersApp("handlers")).mnsMaxReceiveCount; // 10 for the default 5 attempts
 */
export function deriveSettings(app: App): DerivedSettings {
  const limits = retryLimitsOf(app);
  return {
    handlers: app.handlerNames(),
    limits,
    sqsMaxReceiveCount: {
      standard: brokerMaxReceiveCount(limits, { fifo: false }),
      fifo: brokerMaxReceiveCount(limits, { fifo: true }),
    },
    mnsMaxReceiveCount: brokerMaxReceiveCount(limits, { fifo: false }),
    azure: azureFunctionSettings(app),
  };
}
