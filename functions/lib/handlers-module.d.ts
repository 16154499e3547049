/**
 * The handler definitions a function artefact is built with: a module the build writes from a
 * handlers directory (every handler file's default export, in file-name order), as
 * `mailroom run --handlers DIR` loads it.
 */
declare module "mailroom:handlers" {
  import type { HandlerDefinition } from "@mailroom/core";

  const definitions: readonly HandlerDefinition[];
  export default definitions;
}
