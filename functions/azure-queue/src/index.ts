/**
 * The Azure Functions v4 app: one function per storage queue (and Service Bus queue) of the
 * settings, each running the handlers the artefact was built from. The host loads this module
 * (package.json `main`), which registers the functions with `app` of `@azure/functions`.
 */
import { app } from "@azure/functions";
import { type FunctionsRegistrar, registerAzureFunctions } from "@mailroom/adapter-azure";
import { functionApp } from "../../lib/app.ts";
import { registrationFrom } from "./options.ts";

// `app` is passed in (not looked up by the adapter with require): it is bundled, not installed.
// Its methods take the typed options of each trigger; the adapter passes exactly those.
const functions = app as unknown as FunctionsRegistrar;
registerAzureFunctions(functionApp(), registrationFrom(process.env, functions));
