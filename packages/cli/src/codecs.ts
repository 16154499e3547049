import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Codec, cloudEventsCodec, jsonCodec } from "@mailroom/core";
import { CliError } from "./errors.ts";

/** The codecs `--codec` names. */
export const CODEC_NAMES = ["json", "cloudevents", "cloudevents-binary", "protobuf"] as const;

/** `--codec`, `--proto` and `--source`, as `send`, `request` and `local` take them. */
export interface CodecFlags {
  /** `json`, `cloudevents` (structured), `cloudevents-binary` or `protobuf`. */
  codec?: string;
  /** With `protobuf`: a module (e.g. protoc-gen-es output) whose exported message types name the messages. */
  proto?: string;
  /** With `cloudevents*`: the events' `source`. Default `/mailroom`. */
  source?: string;
}

/** The package `--codec protobuf` loads, only then (like adapters by URL scheme). */
const PROTOBUF_PACKAGE = "@mailroom/codec-protobuf";

interface ProtobufPackage {
  protobufCodec(options: { types?: readonly unknown[] }): Codec;
  isMessageType(value: unknown): boolean;
}

/**
 * The codec the flags name, or undefined without `--codec`. Unknown names, `--proto` without
 * `--codec protobuf`, and a proto module with no message types are `CliError`s.
 */
export async function codecFromFlags(flags: CodecFlags): Promise<Codec | undefined> {
  const name = flags.codec;
  if (flags.proto !== undefined && name !== "protobuf")
    throw new CliError("--proto goes with --codec protobuf");
  if (flags.source !== undefined && !name?.startsWith("cloudevents")) {
    throw new CliError("--source goes with --codec cloudevents or cloudevents-binary");
  }
  switch (name) {
    case undefined:
      return undefined;
    case "json":
      return jsonCodec();
    case "cloudevents":
    case "cloudevents-binary":
      if (flags.source === "")
        throw new CliError("--source must not be empty (a URI reference such as /orders)");
      return cloudEventsCodec({
        mode: name === "cloudevents" ? "structured" : "binary",
        source: flags.source,
      });
    case "protobuf": {
      const pkg = await protobufPackage();
      const types = flags.proto === undefined ? [] : await messageTypes(flags.proto, pkg);
      return pkg.protobufCodec({ types });
    }
    default:
      throw new CliError(`--codec "${name}" is not a codec; use ${CODEC_NAMES.join(", ")}`);
  }
}

async function protobufPackage(): Promise<ProtobufPackage> {
  try {
    return (await import(PROTOBUF_PACKAGE)) as ProtobufPackage;
  } catch (error) {
    throw new CliError(
      `--codec protobuf needs the package ${PROTOBUF_PACKAGE}; install it with: npm install ${PROTOBUF_PACKAGE}`,
      {
        cause: error,
      },
    );
  }
}

/** Every message type a module exports, directly or in an exported file descriptor (`file_…`). */
async function messageTypes(path: string, pkg: ProtobufPackage): Promise<unknown[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`cannot load --proto ${path}: ${(error as Error).message.split("\n")[0]}`, {
      cause: error,
    });
  }
  const types: unknown[] = [];
  for (const value of Object.values(mod)) {
    if (pkg.isMessageType(value)) types.push(value);
    const file = value as { kind?: unknown; messages?: unknown };
    if (file?.kind === "file" && Array.isArray(file.messages)) types.push(...file.messages);
  }
  if (types.length === 0) {
    throw new CliError(
      `--proto ${path} exports no protobuf message types; pass the module protoc-gen-es generated (…_pb.ts / _pb.js)`,
    );
  }
  return types;
}

/** JSON text of data for output: bigint as a number string, bytes as `<n bytes>` (protobuf data has both). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, printable) ?? "undefined";
}

function printable(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
  // A Buffer has been through its toJSON by now.
  const b = v as { type?: unknown; data?: unknown };
  if (b?.type === "Buffer" && Array.isArray(b.data)) return `<${b.data.length} bytes>`;
  return v;
}
