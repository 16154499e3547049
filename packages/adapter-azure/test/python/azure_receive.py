"""Receive and delete messages from a Storage queue with the Azure SDK's v12 client, as a consumer
service does. Prints one JSON line per message: {"id", "dequeue_count", "content"}.

    azure_receive.py --connection CS --queue Q --count N [--encoding base64|text] [--timeout S]
"""

import argparse
import json
import sys
import time

try:
    from azure.multiapi.storagev2.queue.v2019_07_07 import QueueClient, TextBase64DecodePolicy
except ImportError as error:
    sys.stderr.write(
        f"MISSING_MODULE azure.multiapi.storagev2.queue: {sys.executable} cannot import it ({error}); "
        "run scripts/services.sh (it installs python3-azure-multiapi-storage)\n"
    )
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--connection", required=True)
parser.add_argument("--queue", required=True)
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--encoding", choices=["base64", "text"], default="base64")
parser.add_argument("--timeout", type=float, default=15)
args = parser.parse_args()

policy = TextBase64DecodePolicy() if args.encoding == "base64" else None
client = QueueClient.from_connection_string(args.connection, args.queue, message_decode_policy=policy)
got = 0
deadline = time.monotonic() + args.timeout
while got < args.count:
    if time.monotonic() > deadline:
        sys.stderr.write(f"received {got} of {args.count} messages within {args.timeout} s\n")
        sys.exit(1)
    batch = list(client.receive_messages(messages_per_page=32, visibility_timeout=30))
    if not batch:
        time.sleep(0.2)
    for message in batch:
        print(json.dumps({"id": message.id, "dequeue_count": message.dequeue_count, "content": message.content}), flush=True)
        client.delete_message(message)
        got += 1
