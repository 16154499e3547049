// The message log: a middleware that records every settled delivery, and the SQLite sink that
// is also its reader (`mailroom trace`, the dashboard). A subpath of its own, so an app without
// it never loads it.
export { type MessageLogEntry, type MessageLogSink, type OutcomeKind, toEntry } from "./entry.ts";
export {
  type Lineage,
  type LineageNode,
  type LineageReader,
  lineageOf,
  MAX_LINEAGE_NODES,
} from "./lineage.ts";
export { type MessageLogOptions, messageLog } from "./middleware.ts";
export {
  type RecentOptions,
  SqliteMessageLog,
  type SqliteMessageLogOptions,
  sqliteMessageLog,
} from "./sqlite.ts";
