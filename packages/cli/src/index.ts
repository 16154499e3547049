export { dlqListCommand, dlqRedriveCommand } from "./commands/dlq.ts";
export { localCommand } from "./commands/local.ts";
export { type RunSummary, runCommand } from "./commands/run.ts";
export { sendCommand } from "./commands/send.ts";
export { statsCommand } from "./commands/stats.ts";
export { CliError, ExitCode } from "./errors.ts";
export { appFromHandlers, isHandlerFile, loadHandlers, resolveHandlersDir } from "./handlers.ts";
export { type MessageEntry, parseMessages, readMessages } from "./messages.ts";
export { buildProgram, main, version } from "./program.ts";
