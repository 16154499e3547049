export { errors as MnsProtocolErrors, MnsProtocolError } from "./protocol-error.ts";
export { DEFAULT_ATTRIBUTES, type QueueAttributes, ServerQueue, type StoredMessage } from "./queue.ts";
export {
  type MnsServerOptions,
  type MnsTestServer,
  operationName,
  startMnsServer,
  TEST_CREDENTIAL,
} from "./server.ts";
export { MNS_VERSION, type ServerCredential, sign, stringToSign, verifyRequest } from "./signature.ts";
