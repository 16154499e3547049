"""Publish messages with pika the way existing Python services do.

    pika_publish.py --url URL (--exchange EX | --queue Q) --mode legacy|envelope|raw --messages JSON

legacy:   body = json.dumps(data), the message name in content_type, routing key = name
          (or the queue), persistent — the call below, unchanged from those services. An item
          may add "message_id", "correlation_id", "headers" (e.g. a traceparent) and
          "typed_headers": true for headers of every AMQP type pika writes (see TYPED_HEADERS).
envelope: body = json.dumps({"name": ..., "data": ...}), content_type application/json.
raw:      messages are [{"body": "<text sent as is>", "content_type": ...}] — for poison bodies.

Publishes on a confirm channel with mandatory, so an unroutable message fails the script.
Prints {"published": <name or body>} per message.
"""

import argparse
import datetime
import decimal
import json

from interop import connect, emit, require_pika

pika = require_pika()

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--exchange", default="")
parser.add_argument("--queue")
parser.add_argument("--mode", choices=["legacy", "envelope", "raw"], required=True)
parser.add_argument("--messages", required=True, help="JSON array")
args = parser.parse_args()

connection = connect(pika, args.url)
channel = connection.channel()
channel.confirm_delivery()


# What Python services put in headers besides strings: pika encodes each with its own AMQP type
# (signed 32 and 64-bit integers, boolean, decimal, timestamp, table, array, void, bytes; pika
# 1.2 cannot encode a float).
TYPED_HEADERS = {
    "retry_count": 3,
    "big": 2**40,
    "negative": -7,
    "flag": True,
    "price": decimal.Decimal("12.34"),
    "sent_at": datetime.datetime(2024, 5, 1, 12, 30, 0),
    "meta": {"source": "billing", "version": 2, "tags": ["a", "b"]},
    "hops": ["svc-a", "svc-b"],
    "nothing": None,
    "raw": b"\x00\xff",
}


def headers_of(message):
    headers = dict(message.get("headers") or {})
    if message.get("typed_headers"):
        headers.update(TYPED_HEADERS)
    return headers or None


def routing_key(name):
    return args.queue if args.queue else name


for message in json.loads(args.messages):
    if args.mode == "legacy":
        name, data = message["name"], message["data"]
        channel.basic_publish(
            args.exchange,
            routing_key=routing_key(name),
            body=json.dumps(data),
            properties=pika.BasicProperties(
                content_type=name,
                delivery_mode=2,
                message_id=message.get("message_id"),
                correlation_id=message.get("correlation_id"),
                headers=headers_of(message),
            ),
            mandatory=True,
        )
        emit({"published": name})
    elif args.mode == "envelope":
        name, data = message["name"], message["data"]
        channel.basic_publish(
            args.exchange,
            routing_key=routing_key(name),
            body=json.dumps({"name": name, "data": data}),
            properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
            mandatory=True,
        )
        emit({"published": name})
    else:
        channel.basic_publish(
            args.exchange,
            routing_key=routing_key(message.get("name", "")),
            body=message["body"].encode("utf-8"),
            properties=pika.BasicProperties(content_type=message.get("content_type"), delivery_mode=2),
            mandatory=True,
        )
        emit({"published": message["body"]})

connection.close()
