import { appFromHandlers } from "@mailroom/cli";
import { type App, silentLogger } from "@mailroom/core";

/** The default handlers directory the templates are derived from: the README's demo handlers. */
export const EXAMPLE_HANDLERS = new URL("../examples/handlers", import.meta.url).pathname;

/**
 * The app of a handlers directory, loaded as `mailroom run --handlers DIR` loads it, to derive
 * infrastructure settings (retry limits, host.json) from its handlers' policies.
 */
export function handlersApp(dir: string = EXAMPLE_HANDLERS): Promise<App> {
  return appFromHandlers(dir, "mailroom", silentLogger);
}
