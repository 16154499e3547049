/** What the build needs to know about one deployable function. */
export interface FunctionSpec {
  /** Its folder under functions/, and the artefact's name. */
  name: string;
  /** Where it runs, for the size table: e.g. "AWS Lambda nodejs22.x". */
  runtime: string;
  /** The entry module (absolute path); its exports are the function's handlers. */
  entry: string;
  /** The provider runtime's Node version, as an esbuild target (`node22`). */
  target: string;
  /** Packages the provider's runtime already has: imported at run time, not bundled. */
  external?: string[];
  /** Dynamic imports become files of their own, loaded on first need instead of at cold start. */
  splitting?: boolean;
  /** Fields of the artefact's package.json beside `"type": "module"` (Azure reads `main`). */
  packageJson?: Record<string, unknown>;
  /** Packages whose bytes the size table adds up as "core + adapter". */
  corePackages: string[];
  /** Writes what the artefact needs beside the bundle (a bundled SDK, host.json), into `dir`. */
  addFiles?: (dir: string, options: AddFilesOptions) => Promise<void>;
}

/** What `addFiles` may use. */
export interface AddFilesOptions {
  /** The handlers directory the artefact is built from. */
  handlersDir: string;
  /** The esbuild target of the function. */
  target: string;
}

/** One artefact the build made. */
export interface BuiltFunction {
  spec: FunctionSpec;
  /** The unpacked artefact (what the zip holds). */
  dir: string;
  /** The deployable zip. */
  zip: string;
  /** Paths inside the zip. */
  files: string[];
  /** Bytes of every file of the artefact, minified. */
  bytes: number;
  /** Bytes of the zip. */
  zipBytes: number;
  /** Bytes of the bundle's JavaScript by package (`@mailroom/core`, `pino`, `handlers`, …). */
  byPackage: Map<string, number>;
}
