import definitions from "mailroom:handlers";
import { type App, createApp, type HandlerDefinition, registerAll } from "@mailroom/core";

/** The environment variable naming the app in logs and metrics. */
export const APP_NAME_ENV = "MAILROOM_APP_NAME";

/**
 * The app every function deploys: the handlers of the directory the artefact was built from
 * (`npm run functions:build -- --handlers DIR`, default `examples/handlers`), registered on one
 * app named `$MAILROOM_APP_NAME` (default `mailroom`). Built once per container, at cold start.
 *
 * @example
 * export const handler = toLambda(functionApp());
 */
export function functionApp(handlers: readonly HandlerDefinition[] = definitions): App {
  return registerAll(createApp({ name: process.env[APP_NAME_ENV] || "mailroom" }), handlers);
}
