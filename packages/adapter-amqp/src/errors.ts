import { MailroomError, RefusedError, RequestTimeoutError, TransportError } from "@mailroom/core";

/**
 * Publishes made while the broker is unreachable wait in a bounded buffer; this is thrown when
 * that buffer is full. Raise `publishBuffer` or slow the producer down; nothing was sent.
 */
export class PublishBufferFullError extends MailroomError {
  constructor(limit: number) {
    super(
      "publish_buffer_full",
      `RabbitMQ is unreachable and ${limit} messages already wait to be published; this publish was refused (raise the publishBuffer option, or wait for the connection to come back)`,
    );
  }
}

/** Why the broker did not take a message: it nacked it, or returned it as unroutable. */
export type Rejection = "nacked" | "unroutable";

/** The broker refused a message (basic.nack) or could not route it (basic.return with `mandatory`). */
export class PublishRejectedError extends TransportError {
  readonly exchange: string;
  readonly routingKey: string;
  readonly rejection: Rejection;
  constructor(exchange: string, routingKey: string, rejection: Rejection) {
    super(
      rejection === "unroutable"
        ? `RabbitMQ could not route the message to exchange "${exchange || "(default)"}" with routing key "${routingKey}": no queue is bound for that routing key (declare the binding, or check the name)`
        : `RabbitMQ refused (nacked) the message to exchange "${exchange || "(default)"}" with routing key "${routingKey}" (a queue full with overflow reject-publish, or the broker out of resources)`,
    );
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.rejection = rejection;
  }
}

/**
 * Topology is missing or differs from what was asked (passive mode, or a re-declare with other
 * arguments). A `ConfigError`: waiting does not fix it, so a worker stops at start-up with it.
 */
export class TopologyError extends RefusedError {}

/** An RPC request got no reply within its timeout. */
export class RpcTimeoutError extends RequestTimeoutError {}
