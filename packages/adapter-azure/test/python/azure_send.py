"""Send messages to a Storage queue as an existing service does, with the Azure SDK's v12 client.

Debian's python3-azure-multiapi-storage ships it as azure.multiapi.storagev2.queue (installed by
scripts/services.sh). Prints one JSON line per message sent: {"id": ..., "encoding": ...}.

    azure_send.py --connection CS --queue Q --encoding base64|text --body TEXT [--body TEXT ...]
"""

import argparse
import json
import sys

try:
    from azure.multiapi.storagev2.queue.v2019_07_07 import QueueClient, TextBase64EncodePolicy
except ImportError as error:
    sys.stderr.write(
        f"MISSING_MODULE azure.multiapi.storagev2.queue: {sys.executable} cannot import it ({error}); "
        "run scripts/services.sh (it installs python3-azure-multiapi-storage)\n"
    )
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--connection", required=True)
parser.add_argument("--queue", required=True)
parser.add_argument("--encoding", choices=["base64", "text"], default="base64")
parser.add_argument("--body", action="append", required=True)
args = parser.parse_args()

# base64 is what the Azure Functions host expects by default; text is the SDK's default.
policy = TextBase64EncodePolicy() if args.encoding == "base64" else None
client = QueueClient.from_connection_string(args.connection, args.queue, message_encode_policy=policy)
for body in args.body:
    sent = client.send_message(body)
    print(json.dumps({"id": sent.id, "encoding": args.encoding}), flush=True)
