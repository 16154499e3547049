"""CloudEvents with redis-py's XADD / XRANGE, written from the spec, as a service with no Mailroom would.

    redis_cloudevents.py URL STREAM publish PROTOBUF_BASE64
    redis_cloudevents.py URL STREAM read

Redis has no official CloudEvents binding; this follows the HTTP binding's names, as Mailroom does:
publish adds
  1. a binary-mode event: each attribute a field "ce-<name>", the data's media type in
     "content-type", the JSON data in "body";
  2. a structured-mode event: the whole event as JSON in "body", nothing else;
  3. a binary-mode event whose data is a protobuf message (the bytes given, base64): content-type
     application/protobuf, the raw bytes in "body".
  and prints {"entry": id, "event": ce id} per entry.
read prints every entry of STREAM: {"entry", "fields": {name: text}, "body_base64"}.
"""
import base64
import json
import sys

import redis

url, stream, mode = sys.argv[1], sys.argv[2], sys.argv[3]
r = redis.Redis.from_url(url)

if mode == "publish":
    entries = [
        (
            "py-binary-1",
            {
                "ce-specversion": "1.0",
                "ce-id": "py-binary-1",
                "ce-source": "/python/shop",
                "ce-type": "com.example.order.created",
                "ce-time": "2026-05-06T07:08:09.123Z",
                "ce-subject": "o-1",
                "ce-parentid": "parent-py",
                "content-type": "application/json",
                "body": json.dumps({"id": "o-1", "total": 12.5}),
            },
        ),
        (
            "py-structured-1",
            {
                "body": json.dumps(
                    {
                        "specversion": "1.0",
                        "id": "py-structured-1",
                        "source": "/python/shop",
                        "type": "com.example.order.created",
                        "time": "2026-05-06T07:08:10Z",
                        "tenant": "t-9",
                        "data": {"id": "o-2", "total": 3},
                    }
                )
            },
        ),
        (
            "py-protobuf-1",
            {
                "ce-specversion": "1.0",
                "ce-id": "py-protobuf-1",
                "ce-source": "/python/shop",
                "ce-type": "acme.orders.v1.OrderCreated",
                "content-type": "application/protobuf",
                "body": base64.b64decode(sys.argv[4]),
            },
        ),
    ]
    for event, fields in entries:
        entry = r.xadd(stream, fields)
        print(json.dumps({"entry": entry.decode(), "event": event}), flush=True)
else:
    for entry, fields in r.xrange(stream):
        body = fields.pop(b"body", b"")
        print(
            json.dumps(
                {
                    "entry": entry.decode(),
                    "fields": {k.decode(): v.decode() for k, v in fields.items()},
                    "body_base64": base64.b64encode(body).decode(),
                }
            ),
            flush=True,
        )
