"""Read what Mailroom published to a stream, with a consumer group of redis-py's own, and ack it.
Prints one JSON line per entry: its fields (the body parsed) as a Python service sees them."""
import json
import sys
import time

import redis

url, stream, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = redis.Redis.from_url(url)
try:
    r.xgroup_create(stream, "py-readers", id="0", mkstream=True)
except redis.ResponseError as error:
    if "BUSYGROUP" not in str(error):
        raise
seen = 0
deadline = time.time() + 15
while seen < count and time.time() < deadline:
    answer = r.xreadgroup("py-readers", "py-1", {stream: ">"}, count=count, block=1000)
    for _, entries in answer:
        for entry, fields in entries:
            text = {k.decode(): v.decode() for k, v in fields.items()}
            body = json.loads(text.pop("body"))
            print(json.dumps({"entry": entry.decode(), "name": body["name"], "data": body["data"], "fields": text}), flush=True)
            r.xack(stream, "py-readers", entry)
            seen += 1
sys.exit(0 if seen == count else 1)
