"""Ask a Mailroom handler over Redis and wait for its answer: the request carries a reply stream of
this client's own (made first: Mailroom adds replies only to a stream that exists) and a
correlation id. Prints {"correlationId", "name", "data"} of the reply, then deletes the stream."""
import json
import sys
import uuid

import redis

url, stream, name, data = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
r = redis.Redis.from_url(url)
reply = "py-reply-" + uuid.uuid4().hex
r.xgroup_create(reply, "py", id="$", mkstream=True)
correlation = uuid.uuid4().hex
try:
    r.xadd(
        stream,
        {
            "body": json.dumps({"name": name, "data": json.loads(data)}),
            "mailroom-reply-to": reply,
            "mailroom-correlation-id": correlation,
        },
    )
    answer = r.xread({reply: "0"}, count=1, block=15000)
    if not answer:
        sys.exit("no reply within 15 s")
    _, fields = answer[0][1][0]
    text = {k.decode(): v.decode() for k, v in fields.items()}
    body = json.loads(text["body"])
    print(json.dumps({"correlationId": text.get("mailroom-correlation-id"), "name": body["name"], "data": body["data"]}), flush=True)
finally:
    r.delete(reply)
