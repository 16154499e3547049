"""Publish to a stream as existing services do, with redis-py's XADD: `name` + `data` fields, and a
JSON `body` with the name inside. Prints one JSON line per entry: {"entry": id, "form": ...}."""
import json
import sys

import redis

url, stream = sys.argv[1], sys.argv[2]
r = redis.Redis.from_url(url)
entries = [
    ("name+data", {"name": "order_created", "data": json.dumps({"id": "o-1", "total": 12.5})}),
    (
        "body",
        {
            "body": json.dumps({"name": "order_created", "data": {"id": "o-2", "total": 3}}),
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "source": "billing",
        },
    ),
]
for form, fields in entries:
    entry = r.xadd(stream, fields)
    print(json.dumps({"entry": entry.decode(), "form": form}), flush=True)
