"""Send CloudEvents with boto3, written from the spec, as a service with no Mailroom would.

    boto3_cloudevents.py --endpoint URL --queue-url URL --protobuf-base64 B64

SQS has no official CloudEvents binding; this follows the HTTP binding's names, as Mailroom does:
  1. binary mode: each attribute a String message attribute "ce-<name>", the data's media type
     in "content-type", the JSON data alone as the body;
  2. structured mode: the whole event as the JSON body, "content-type" application/cloudevents+json;
  3. structured mode with no attributes at all (the body says everything);
  4. binary mode whose data is a protobuf message: content-type application/protobuf, the
     serialized message (given, base64) as the base64 body, since SQS bodies are text.
Prints {"sent": <event id>, "message_id": ...} per message.
"""

import argparse
import json

from interop import emit, sqs_client

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
parser.add_argument("--queue-url", required=True)
parser.add_argument("--protobuf-base64", required=True)
args = parser.parse_args()

sqs = sqs_client(args.endpoint)


def strings(attributes):
    return {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}


def send(event_id, body, attributes):
    response = sqs.send_message(QueueUrl=args.queue_url, MessageBody=body, MessageAttributes=strings(attributes))
    emit({"sent": event_id, "message_id": response["MessageId"]})


send(
    "py-binary-1",
    json.dumps({"id": "o-1", "total": 12.5}),
    {
        "ce-specversion": "1.0",
        "ce-id": "py-binary-1",
        "ce-source": "/python/shop",
        "ce-type": "com.example.order.created",
        "ce-time": "2026-05-06T07:08:09.123Z",
        "ce-subject": "o-1",
        "ce-correlationid": "conversation-py",
        "content-type": "application/json",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    },
)
event = {
    "specversion": "1.0",
    "id": "py-structured-1",
    "source": "/python/shop",
    "type": "com.example.order.created",
    "time": "2026-05-06T07:08:10Z",
    "tenant": "t-9",
    "data": {"id": "o-2", "total": 3},
}
send("py-structured-1", json.dumps(event), {"content-type": "application/cloudevents+json"})
send("py-structured-2", json.dumps({**event, "id": "py-structured-2"}), {})
send(
    "py-protobuf-1",
    args.protobuf_base64,
    {
        "ce-specversion": "1.0",
        "ce-id": "py-protobuf-1",
        "ce-source": "/python/shop",
        "ce-type": "acme.orders.v1.OrderCreated",
        "content-type": "application/protobuf",
    },
)
