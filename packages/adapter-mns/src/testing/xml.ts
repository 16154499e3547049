import { createRequire } from "node:module";

/** One parsed XML element: its local name, child elements and concatenated text. */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

/** The XML is not well-formed (an unescaped `<` or `&`, a tag left open, text outside the root). */
export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlSyntaxError";
  }
}

interface SaxParser {
  onopentag: (tag: { name: string }) => void;
  onclosetag: () => void;
  ontext: (text: string) => void;
  oncdata: (text: string) => void;
  onerror: (error: Error) => void;
  write(text: string): SaxParser;
  close(): SaxParser;
}
const sax = createRequire(import.meta.url)("sax") as {
  parser(strict: boolean, options: { xmlns?: boolean; trim?: boolean }): SaxParser;
};

/**
 * Parse a document strictly (sax in strict mode): an unescaped `<` or `&` in text, an unknown
 * entity, mismatched tags or trailing text all throw `XmlSyntaxError`. Namespace prefixes are
 * dropped from element names; attributes are ignored (MNS puts data in elements only).
 */
export function parseXml(text: string): XmlElement {
  const parser = sax.parser(true, {});
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.onopentag = (tag) => {
    const el: XmlElement = { name: tag.name.replace(/^.*:/, ""), children: [], text: "" };
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else if (root) throw new XmlSyntaxError("more than one root element");
    else root = el;
    stack.push(el);
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  parser.ontext = parser.oncdata = (t) => {
    const el = stack.at(-1);
    if (el) el.text += t;
    else if (t.trim() !== "") throw new XmlSyntaxError("text outside the root element");
  };
  parser.onerror = (error) => {
    throw new XmlSyntaxError(error.message.split("\n")[0] ?? "malformed XML");
  };
  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw error;
    throw new XmlSyntaxError((error as Error).message.split("\n")[0] ?? "malformed XML");
  }
  if (!root) throw new XmlSyntaxError("no root element");
  return root;
}

/** The first child element called `name`. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** The text of the first child element called `name`, or undefined when absent. */
export function childText(el: XmlElement, name: string): string | undefined {
  return child(el, name)?.text;
}

/** Escape text for an XML element's content. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`,
  );
}

/** Fields of an element to write: nested records become nested elements, undefined is skipped. */
export type XmlFields = { [key: string]: string | number | boolean | undefined | XmlFields };

/** Each field as an escaped element, in order. */
export function fieldsXml(fields: XmlFields): string {
  let inner = "";
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    inner += typeof value === "object" ? element(key, value) : `<${key}>${escapeXml(String(value))}</${key}>`;
  }
  return inner;
}

/** `<name>…</name>` with each field as an escaped child element. */
export function element(name: string, fields: XmlFields): string {
  return `<${name}>${fieldsXml(fields)}</${name}>`;
}

/** A full MNS response document: declaration and the MNS namespace on the root. */
export function document(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://mns.aliyuncs.com/doc/v1/">${inner}</${root}>`;
}
