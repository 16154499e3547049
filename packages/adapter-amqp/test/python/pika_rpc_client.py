"""Call an RPC service as pika's RPC tutorial does: own exclusive callback queue, correlation_id.

    pika_rpc_client.py --url URL (--queue Q | --exchange EX) --name NAME --requests JSON [--timeout S]

Each item of the JSON array is the data of one request, all sent before any reply is awaited:
body = json.dumps(data), the name in content_type (as those services publish), reply_to = the
callback queue, correlation_id = a new uuid4. Prints one line per reply:
{"sent_correlation_id", "correlation_id", "data", "body"}; exits 2 if a reply is missing.
"""

import argparse
import json
import time
import uuid

from interop import connect, emit, fail, require_pika

pika = require_pika()

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--queue")
parser.add_argument("--exchange", default="")
parser.add_argument("--name", required=True)
parser.add_argument("--requests", required=True)
parser.add_argument("--timeout", type=float, default=10)
args = parser.parse_args()

connection = connect(pika, args.url)
channel = connection.channel()
callback_queue = channel.queue_declare(queue="", exclusive=True).method.queue

pending = {}
replies = []


def on_response(_channel, method, properties, body):
    replies.append((properties.correlation_id, body))


channel.basic_consume(queue=callback_queue, on_message_callback=on_response, auto_ack=True)

for data in json.loads(args.requests):
    correlation_id = str(uuid.uuid4())
    pending[correlation_id] = data
    channel.basic_publish(
        exchange=args.exchange,
        routing_key=args.queue if args.queue else args.name,
        properties=pika.BasicProperties(
            reply_to=callback_queue, correlation_id=correlation_id, content_type=args.name
        ),
        body=json.dumps(data),
    )

deadline = time.monotonic() + args.timeout
answered = set()
while len(answered) < len(pending):
    connection.process_data_events(time_limit=0.2)
    for correlation_id, body in replies:
        if correlation_id in answered:
            continue
        answered.add(correlation_id)
        emit(
            {
                "sent_correlation_id": correlation_id if correlation_id in pending else None,
                "correlation_id": correlation_id,
                "data": pending.get(correlation_id),
                "body": json.loads(body),
            }
        )
    replies.clear()
    if time.monotonic() > deadline:
        fail(f"{len(pending) - len(answered)} of {len(pending)} replies missing after {args.timeout}s")
connection.close()
