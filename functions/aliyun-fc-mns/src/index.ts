/**
 * The Function Compute function for an MNS queue trigger (EventBridge CloudEvents, one or a
 * batch, or RawData) and an MNS topic trigger (JSON or STREAM): the handlers the artefact was
 * built from. Deployed as `index.handler` on FC's Node.js 20 runtime.
 */
import { toAliyunFC } from "@mailroom/adapter-mns";
import { functionApp } from "../../lib/app.ts";
import { fcOptionsFrom } from "./options.ts";

/** The FC handler: `index.handler`. */
export const handler = toAliyunFC(functionApp(), fcOptionsFrom(process.env));
