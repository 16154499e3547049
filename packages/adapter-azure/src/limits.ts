/** Largest message Storage Queues store, bytes of the message text (after base64, when base64-encoded): 64 KiB. */
export const MAX_MESSAGE_BYTES = 65_536;

/** Longest visibility timeout and send delay Storage Queues accept, seconds: 7 days. */
export const MAX_VISIBILITY_S = 604_800;

/** Most messages one Get Messages call returns. */
export const MAX_RECEIVE_BATCH = 32;

/** A time-to-live of -1: the message never expires. */
export const NEVER_EXPIRES = -1;

/** The development storage account's name (Azurite, the emulator). */
export const DEV_ACCOUNT = "devstoreaccount1";
/** The development storage account's key: public, documented by Microsoft, valid only on emulators. */
export const DEV_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/** Where the development storage account's queue service listens by default. */
export const DEV_QUEUE_ENDPOINT = "http://127.0.0.1:10001/devstoreaccount1";
