"""Send messages with boto3 the way existing Python services do: a JSON body, no attributes.

    boto3_send.py --endpoint URL --queue-url URL --mode single|batch|raw --messages JSON

single: one send_message(QueueUrl, MessageBody=json.dumps({"name": ..., "data": ...})) each;
        an item may carry "attributes" ({name: string}) sent as String MessageAttributes, and
        "group" (FIFO queues): MessageGroupId, with a new MessageDeduplicationId. "typed_attributes":
        true adds a Number and a Binary attribute (see TYPED_ATTRIBUTES).
batch:  send_message_batch, 10 entries a call (Id = the item's index).
raw:    items are {"body": "<text sent as is>"} — for poison bodies.

Prints {"sent": <name or body>, "message_id": ...} per message; exits 2 if SQS failed any entry.
"""

import argparse
import json
import uuid

from interop import emit, fail, sqs_client

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
parser.add_argument("--queue-url", required=True)
parser.add_argument("--mode", choices=["single", "batch", "raw"], required=True)
parser.add_argument("--messages", required=True, help="JSON array")
args = parser.parse_args()

# Attributes of the other SQS data types that Python services send beside strings.
TYPED_ATTRIBUTES = {
    "priority": {"DataType": "Number", "StringValue": "5"},
    "signature": {"DataType": "Binary", "BinaryValue": b"\x00\xffsig"},
}

sqs = sqs_client(args.endpoint)
messages = json.loads(args.messages)

if args.mode == "batch":
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        entries = [
            {"Id": str(start + i), "MessageBody": json.dumps({"name": m["name"], "data": m["data"]})}
            for i, m in enumerate(chunk)
        ]
        result = sqs.send_message_batch(QueueUrl=args.queue_url, Entries=entries)
        if result.get("Failed"):
            fail(f"send_message_batch failed entries: {result['Failed']}")
        for ok in sorted(result["Successful"], key=lambda s: int(s["Id"])):
            emit({"sent": messages[int(ok["Id"])]["name"], "message_id": ok["MessageId"]})
else:
    for m in messages:
        if args.mode == "raw":
            result = sqs.send_message(QueueUrl=args.queue_url, MessageBody=m["body"])
            emit({"sent": m["body"], "message_id": result["MessageId"]})
            continue
        extra = {}
        if m.get("attributes"):
            extra["MessageAttributes"] = {
                k: {"DataType": "String", "StringValue": v} for k, v in m["attributes"].items()
            }
        if m.get("typed_attributes"):
            extra.setdefault("MessageAttributes", {}).update(TYPED_ATTRIBUTES)
        if m.get("group"):
            extra["MessageGroupId"] = m["group"]
            extra["MessageDeduplicationId"] = str(uuid.uuid4())
        result = sqs.send_message(
            QueueUrl=args.queue_url, MessageBody=json.dumps({"name": m["name"], "data": m["data"]}), **extra
        )
        emit({"sent": m["name"], "message_id": result["MessageId"]})
