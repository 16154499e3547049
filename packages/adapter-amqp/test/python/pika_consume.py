"""Consume messages with pika and print what a Python consumer sees of each.

    pika_consume.py --url URL --queue Q [--exchange EX --bind KEY ...] [--passive] --count N [--timeout S]

Declares Q (durable) and binds it to EX by each KEY, unless --passive (the queue exists, e.g. a
Mailroom `<queue>.dlq`). Prints {"ready": true} once consuming, then one line per message (see
interop.describe), acking each; exits 0 after N messages, 2 if they do not come within S seconds.
"""

import argparse
import time

from interop import connect, describe, emit, fail, require_pika

pika = require_pika()

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--queue", required=True)
parser.add_argument("--exchange")
parser.add_argument("--bind", action="append", default=[])
parser.add_argument("--passive", action="store_true")
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--timeout", type=float, default=15)
args = parser.parse_args()

connection = connect(pika, args.url)
channel = connection.channel()
if args.passive:
    channel.queue_declare(args.queue, passive=True)
else:
    channel.queue_declare(args.queue, durable=True)
    if args.exchange:
        channel.exchange_declare(args.exchange, exchange_type="topic", durable=True)
        for key in args.bind:
            channel.queue_bind(args.queue, args.exchange, routing_key=key)

deadline = time.monotonic() + args.timeout
got = 0
emit({"ready": True})
for method, properties, body in channel.consume(args.queue, inactivity_timeout=0.2):
    if method is not None:
        emit(describe(method, properties, body))
        channel.basic_ack(method.delivery_tag)
        got += 1
        if got >= args.count:
            break
    if time.monotonic() > deadline:
        fail(f"received {got} of {args.count} messages from {args.queue} within {args.timeout}s")
channel.cancel()
connection.close()
