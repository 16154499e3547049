import { attributesXml, intField, parseAttributes, sameAttributes } from "./attributes.ts";
import { errors, MnsProtocolError } from "./protocol-error.ts";
import type { ServerQueue, StoredMessage } from "./queue.ts";
import { childText, document, element, fieldsXml, parseXml, type XmlElement, XmlSyntaxError } from "./xml.ts";

/** A parsed request as operations see it. */
export interface OperationRequest {
  method: string;
  /** Path segments after the host: `["queues", "orders", "messages"]`. */
  segments: string[];
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  host: string;
}

/** What an operation answers: status, optional XML body and headers; or a long poll still running. */
export interface OperationResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A long-poll answer: resolved later, cancelled when the client goes away. */
export interface PendingResponse {
  pending: Promise<OperationResponse>;
  cancel(): void;
}

/** What operations need from the server. */
export interface OperationContext {
  queues: Map<string, ServerQueue>;
  /** Queues whose sends are refused with AccessDenied (`MnsTestServer.denySends`). */
  deniedSends: Set<string>;
  createQueue(name: string, el: XmlElement | undefined): ServerQueue;
}

const QUEUE_NAME = /^[a-zA-Z][a-zA-Z0-9-]{0,255}$/;

/** Strict XML with one of the expected root elements; `MalformedXML` otherwise. */
export function parseBody(body: string, ...roots: string[]): XmlElement {
  let el: XmlElement;
  try {
    el = parseXml(body);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw errors.malformedXml(error.message);
    throw error;
  }
  if (!roots.includes(el.name))
    throw errors.malformedXml(`expected a <${roots.join("> or <")}> document, got <${el.name}>`);
  return el;
}

function queueOf(ctx: OperationContext, name: string): ServerQueue {
  const q = ctx.queues.get(name);
  if (!q) throw errors.queueNotExist(name);
  return q;
}

/** CreateQueue (PUT /queues/q): 201 new, 204 same attributes, 409 different. SetQueueAttributes with `?metaoverride=true`. */
export function putQueue(ctx: OperationContext, req: OperationRequest, name: string): OperationResponse {
  if (!QUEUE_NAME.test(name)) throw errors.invalidQueueName(name);
  const el = req.body ? parseBody(req.body, "Queue") : undefined;
  const existing = ctx.queues.get(name);
  if (req.query.get("metaoverride") === "true") {
    if (!existing) throw errors.queueNotExist(name);
    existing.attributes = parseAttributes(el, existing.attributes);
    existing.lastModifyTime = Date.now();
    return { status: 204 };
  }
  if (existing) {
    if (sameAttributes(existing.attributes, parseAttributes(el))) return { status: 204 };
    throw errors.queueAlreadyExist(name);
  }
  ctx.createQueue(name, el);
  return { status: 201, headers: { location: `http://${req.host}/queues/${name}` } };
}

/** GetQueueAttributes, DeleteQueue, ListQueue. */
export function queueAdmin(
  ctx: OperationContext,
  req: OperationRequest,
  name: string | undefined,
): OperationResponse {
  if (name === undefined) {
    const prefix = header(req, "x-mns-prefix");
    const limit = Number(header(req, "x-mns-ret-number") || 1000);
    const marker = header(req, "x-mns-marker");
    const names = [...ctx.queues.keys()]
      .filter((n) => n.startsWith(prefix) && (!marker || n >= marker))
      .sort();
    const page = names.slice(0, limit);
    const inner = page.map((n) => element("Queue", { QueueURL: `http://${req.host}/queues/${n}` })).join("");
    const next = names[limit];
    return {
      status: 200,
      body: document("Queues", inner + (next ? `<NextMarker>${next}</NextMarker>` : "")),
    };
  }
  if (req.method === "DELETE") {
    ctx.queues.get(name)?.close();
    ctx.queues.delete(name);
    return { status: 204 };
  }
  return { status: 200, body: document("Queue", fieldsXml(attributesXml(queueOf(ctx, name)))) };
}

function header(req: OperationRequest, name: string): string {
  const v = req.headers[name];
  return v === undefined ? "" : String(v);
}

/** SendMessage (`<Message>`) or BatchSendMessage (`<Messages>`, up to 16, partial errors as 500 with per-message codes). */
export function send(ctx: OperationContext, req: OperationRequest, name: string): OperationResponse {
  const q = queueOf(ctx, name);
  if (ctx.deniedSends.has(name)) {
    throw errors.accessDenied(
      `You are not authorized to do SendMessage on queue ${name} (the RAM policy lacks mns:SendMessage on it).`,
    );
  }
  const root = parseBody(req.body, "Message", "Messages");
  if (root.name === "Message") {
    const m = sendOne(q, root);
    return { status: 201, body: document("Message", fieldsXml({ MessageId: m.id, MessageBodyMD5: m.md5 })) };
  }
  const items = root.children.filter((c) => c.name === "Message");
  if (items.length === 0 || items.length > 16) {
    throw errors.invalidArgument(`BatchSendMessage takes 1 to 16 messages, got ${items.length}.`);
  }
  if (Buffer.byteLength(req.body) > 16 * 65_536) throw errors.invalidArgument("The batch is too large.");
  let failed = false;
  const parts = items.map((item) => {
    try {
      const m = sendOne(q, item);
      return element("Message", { MessageId: m.id, MessageBodyMD5: m.md5 });
    } catch (error) {
      if (!(error instanceof MnsProtocolError)) throw error;
      failed = true;
      return element("Message", { ErrorCode: error.code, ErrorMessage: error.message });
    }
  });
  return { status: failed ? 500 : 201, body: document("Messages", parts.join("")) };
}

function sendOne(q: ServerQueue, el: XmlElement): StoredMessage {
  const body = childText(el, "MessageBody");
  if (body === undefined || body === "") throw errors.invalidArgument("MessageBody is missing or empty.");
  if (Buffer.byteLength(body) > q.attributes.maximumMessageSize) {
    throw errors.invalidArgument(
      `The message body is ${Buffer.byteLength(body)} bytes, over the queue's MaximumMessageSize of ${q.attributes.maximumMessageSize}.`,
    );
  }
  const delay = intField(
    childText(el, "DelaySeconds"),
    "DelaySeconds",
    0,
    604_800,
    q.attributes.delaySeconds,
  );
  const priority = intField(childText(el, "Priority"), "Priority", 1, 16, 8);
  return q.send(body, delay, priority);
}

/** ReceiveMessage / BatchReceiveMessage (`numOfMessages`), long polling with `waitseconds`; `peekonly=true` peeks. */
export function receive(
  ctx: OperationContext,
  req: OperationRequest,
  name: string,
): OperationResponse | PendingResponse {
  const q = queueOf(ctx, name);
  const batch = req.query.has("numOfMessages");
  const max = batch ? intField(req.query.get("numOfMessages") ?? "", "numOfMessages", 1, 16, 16) : 1;
  if (req.query.get("peekonly") === "true") return answer(q.peek(max), batch, false);
  const wait = intField(
    req.query.get("waitseconds") ?? undefined,
    "waitseconds",
    0,
    30,
    q.attributes.pollingWaitSeconds,
  );
  const { result, cancel } = q.wait(max, wait * 1000);
  return { pending: result.then((messages) => answer(messages, batch, true)), cancel };
}

function answer(messages: StoredMessage[], batch: boolean, withHandle: boolean): OperationResponse {
  if (messages.length === 0) throw errors.messageNotExist();
  const xml = messages.map((m) =>
    fieldsXml({
      MessageId: m.id,
      ReceiptHandle: withHandle ? m.handle : undefined,
      MessageBodyMD5: m.md5,
      MessageBody: m.body,
      EnqueueTime: m.enqueueTime,
      NextVisibleTime: m.visibleAt,
      FirstDequeueTime: m.firstDequeueTime ?? m.enqueueTime,
      DequeueCount: m.dequeueCount,
      Priority: m.priority,
    }),
  );
  if (!batch) return { status: 200, body: document("Message", xml[0]!) };
  return { status: 200, body: document("Messages", xml.map((x) => `<Message>${x}</Message>`).join("")) };
}

/** DeleteMessage (`?ReceiptHandle=`) or BatchDeleteMessage (`<ReceiptHandles>`, partial errors as 404 `<Errors>`). */
export function remove(ctx: OperationContext, req: OperationRequest, name: string): OperationResponse {
  const q = queueOf(ctx, name);
  const single = req.query.get("ReceiptHandle");
  if (single !== null) {
    q.delete(single);
    return { status: 204 };
  }
  const root = parseBody(req.body, "ReceiptHandles");
  const handles = root.children.filter((c) => c.name === "ReceiptHandle").map((c) => c.text);
  if (handles.length === 0 || handles.length > 16) {
    throw errors.invalidArgument(`BatchDeleteMessage takes 1 to 16 receipt handles, got ${handles.length}.`);
  }
  const failures: string[] = [];
  for (const handle of handles) {
    try {
      q.delete(handle);
    } catch (error) {
      if (!(error instanceof MnsProtocolError)) throw error;
      failures.push(
        element("Error", { ErrorCode: error.code, ErrorMessage: error.message, ReceiptHandle: handle }),
      );
    }
  }
  if (failures.length === 0) return { status: 204 };
  return { status: 404, body: document("Errors", failures.join("")) };
}

/** ChangeMessageVisibility: `?receiptHandle=&visibilityTimeout=` (1–43,200 s); answers the NEW handle. */
export function changeVisibility(
  ctx: OperationContext,
  req: OperationRequest,
  name: string,
): OperationResponse {
  const q = queueOf(ctx, name);
  const handle = req.query.get("receiptHandle") ?? req.query.get("ReceiptHandle");
  if (!handle) throw errors.invalidArgument("receiptHandle is missing.");
  const seconds = req.query.get("visibilityTimeout");
  if (!seconds) throw errors.invalidArgument("visibilityTimeout is missing.");
  const m = q.changeVisibility(handle, intField(seconds, "visibilityTimeout", 1, 43_200, 0));
  return {
    status: 200,
    body: document("ChangeVisibility", fieldsXml({ ReceiptHandle: m.handle, NextVisibleTime: m.visibleAt })),
  };
}
