import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

/** The repository's infra/ folder. */
export const INFRA = new URL("..", import.meta.url).pathname;

/** A Kubernetes-style object: kind, metadata.name and the rest. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: unknown;
  stringData?: Record<string, string>;
  [key: string]: unknown;
}

/** Every document of a YAML file under infra/, parsed strictly (a syntax error fails the test that reads it). */
export function readYaml<T = unknown>(path: string): T[] {
  const docs = parseAllDocuments(readFileSync(join(INFRA, path), "utf8"), { prettyErrors: true });
  return docs.map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS() as T;
  });
}
