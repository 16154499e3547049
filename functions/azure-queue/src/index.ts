/**
 * The Azure Functions v4 app: one function per storage queue (and Service Bus queue) of the
 * settings, each running the handlers the artefact was built from. The host loads this module
 * (package.json `main`), which registers the functions with `app` of `@azure/functions`.
 */
import { app } from "@azure/functions";
import { registerAzureFunctions } from "@mailroom/adapter-azure";
import { functionApp } from "../../lib/app.ts";
import { registrationFrom } from "./options.ts";

registerAzureFunctions(functionApp(), registrationFrom(process.env, app));
