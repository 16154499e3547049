"""Receive messages with boto3 and print what a Python consumer sees of each.

    boto3_receive.py --endpoint URL --queue-url URL --count N [--timeout S]

receive_message(MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"],
AttributeNames=["All"]) until N messages came, deleting each. Prints {"ready": true} before the
first receive, then one line per message: {"message_id", "body_text", "body" (when JSON),
"attributes" ({name: StringValue, or {"base64": ...} for Binary}), "attribute_types" ({name:
DataType}), "system" (SentTimestamp, ...), "received_at" (epoch ms)}.
Exits 2 if the N messages do not come within S seconds.
"""

import argparse
import base64
import json
import time

from interop import emit, fail, sqs_client

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
parser.add_argument("--queue-url", required=True)
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--timeout", type=float, default=15)
args = parser.parse_args()


def attribute_value(value):
    if "BinaryValue" in value:
        return {"base64": base64.b64encode(value["BinaryValue"]).decode("ascii")}
    return value.get("StringValue")


sqs = sqs_client(args.endpoint)
deadline = time.monotonic() + args.timeout
got = 0
emit({"ready": True})
while got < args.count:
    if time.monotonic() > deadline:
        fail(f"received {got} of {args.count} messages from {args.queue_url} within {args.timeout}s")
    response = sqs.receive_message(
        QueueUrl=args.queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=1,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
    )
    for message in response.get("Messages", []):
        received_at = time.time() * 1000
        out = {
            "message_id": message["MessageId"],
            "body_text": message["Body"],
            "attributes": {
                name: attribute_value(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "attribute_types": {
                name: value["DataType"] for name, value in message.get("MessageAttributes", {}).items()
            },
            "system": message.get("Attributes", {}),
            "received_at": received_at,
        }
        try:
            out["body"] = json.loads(message["Body"])
        except ValueError:
            pass
        emit(out)
        sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])
        got += 1
