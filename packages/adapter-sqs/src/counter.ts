/**
 * Counts the HTTP requests an SQS client makes, by operation (SDK retries included), so
 * "API requests per message" can be measured and asserted.
 */
export class RequestCounter {
  readonly byOperation = new Map<string, number>();
  #total = 0;

  /** Every request so far. */
  get total(): number {
    return this.#total;
  }

  count(operation: string): void {
    this.#total++;
    this.byOperation.set(operation, (this.byOperation.get(operation) ?? 0) + 1);
  }

  /** `{ ReceiveMessage: 3, DeleteMessageBatch: 3, … }` */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.byOperation);
  }

  reset(): void {
    this.#total = 0;
    this.byOperation.clear();
  }
}
