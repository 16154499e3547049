"""An RPC server as pika's RPC tutorial writes it: reply to reply_to with the correlation_id.

    pika_rpc_server.py --url URL --queue Q --count N [--timeout S]

Declares Q, prints {"ready": true}, then for each request prints what it received (see
interop.describe) and replies with json.dumps({"echo": <request body>, "type": properties.type}),
routing key = properties.reply_to, correlation_id = properties.correlation_id. Exits 0 after N
requests, 2 if they do not come within S seconds.
"""

import argparse
import json
import time

from interop import connect, describe, emit, fail, require_pika

pika = require_pika()

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--queue", required=True)
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--timeout", type=float, default=15)
args = parser.parse_args()

connection = connect(pika, args.url)
channel = connection.channel()
channel.queue_declare(queue=args.queue)
channel.basic_qos(prefetch_count=1)

deadline = time.monotonic() + args.timeout
served = 0
emit({"ready": True})
for method, properties, body in channel.consume(args.queue, inactivity_timeout=0.2):
    if method is not None:
        request = describe(method, properties, body)
        emit({"request": request})
        channel.basic_publish(
            exchange="",
            routing_key=properties.reply_to,
            properties=pika.BasicProperties(correlation_id=properties.correlation_id),
            body=json.dumps({"echo": request.get("body"), "type": properties.type}),
        )
        channel.basic_ack(delivery_tag=method.delivery_tag)
        served += 1
        if served >= args.count:
            break
    if time.monotonic() > deadline:
        fail(f"served {served} of {args.count} requests on {args.queue} within {args.timeout}s")
channel.cancel()
connection.close()
