export { FunctionDelivery, type FunctionSettlement } from "./delivery.ts";
export {
  type FunctionInvocation,
  type FunctionMessage,
  type FunctionTriggerKind,
  readInvocation,
} from "./events.ts";
export {
  type AzureFunctionHandler,
  type AzureFunctionResult,
  AzureFunctionRetryError,
  POISON_OUTPUT,
  type ToAzureFunctionOptions,
  toAzureFunction,
} from "./handler.ts";
export {
  type AzureFunctionSettings,
  type AzureHostJson,
  azureFunctionSettings,
  timeSpan,
} from "./host-json.ts";
export {
  type FunctionsRegistrar,
  type RegisterAzureFunctionsOptions,
  registerAzureFunctions,
} from "./register.ts";
