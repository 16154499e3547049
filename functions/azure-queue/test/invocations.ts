/** RPC typed data, as the Functions host sends inputs and trigger metadata to a language worker. */
export type RpcTypedData = { string: string } | { json: string } | { bytes: string };

/**
 * The RPC invocation request the Functions host sends for a storage queue trigger: the message
 * (JSON bodies as `json`, which the worker parses) and the trigger metadata the host attaches
 * (`DequeueCount`, `Id`, `InsertionTime`, `ExpirationTime`, `NextVisibleTime`, `PopReceipt`, `sys`).
 */
export function storageQueueInvocation(
  body: unknown,
  dequeueCount: number,
  id: string,
  functionName: string,
) {
  const inserted = "2026-01-02T03:04:05+00:00";
  return {
    data: { json: JSON.stringify(body) } as RpcTypedData,
    triggerMetadata: {
      DequeueCount: { json: String(dequeueCount) },
      ExpirationTime: { json: JSON.stringify("2026-01-09T03:04:05+00:00") },
      Id: { string: id },
      InsertionTime: { json: JSON.stringify(inserted) },
      NextVisibleTime: { json: JSON.stringify("2026-01-02T03:14:05+00:00") },
      PopReceipt: { string: "AgAAAAMAAAAAAAAAmqR0Cwl/3AE=" },
      sys: {
        json: JSON.stringify({
          MethodName: functionName,
          UtcNow: inserted,
          RandGuid: "0b3f7c9e-8d40-4a55-9c5c-2f1a0c7e9b11",
        }),
      },
    } as Record<string, RpcTypedData>,
  };
}

/** The same for a Service Bus queue trigger with cardinality `one` (`DeliveryCount`, `MessageId`, …). */
export function serviceBusInvocation(body: unknown, deliveryCount: number, messageId: string) {
  return {
    data: { json: JSON.stringify(body) } as RpcTypedData,
    triggerMetadata: {
      DeliveryCount: { json: String(deliveryCount) },
      MessageId: { string: messageId },
      EnqueuedTimeUtc: { json: JSON.stringify("2026-01-02T03:04:05") },
      ApplicationProperties: { json: "{}" },
    } as Record<string, RpcTypedData>,
  };
}
