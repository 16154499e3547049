"""Shared by the pika interop scripts: the pika import, the connection, JSON lines out.

Every script prints one JSON object per line on stdout (what it published or received) and
exits non-zero with a message on stderr when something is wrong, so the test can assert both.
"""

import base64
import datetime
import json
import sys
import time


def require_pika():
    """Import pika, or exit 3 with the fix: the test turns this into a failure, never a skip."""
    try:
        import pika  # noqa: PLC0415
    except ImportError as error:
        sys.stderr.write(
            f"MISSING_MODULE pika: {sys.executable} cannot import pika ({error}); "
            "run scripts/services.sh (it installs python3-pika)\n"
        )
        sys.exit(3)
    return pika


def connect(pika, url):
    """A blocking connection, as most Python services hold one."""
    return pika.BlockingConnection(pika.URLParameters(url))


def _jsonable(value):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def emit(obj):
    print(json.dumps(obj, default=_jsonable), flush=True)


def describe(method, properties, body):
    """What a pika consumer sees of a message: properties, headers, the body (parsed when JSON)
    and when it came (epoch ms)."""
    text = body.decode("utf-8", errors="replace")
    out = {
        "exchange": method.exchange,
        "routing_key": method.routing_key,
        "type": properties.type,
        "message_id": properties.message_id,
        "correlation_id": properties.correlation_id,
        "reply_to": properties.reply_to,
        "content_type": properties.content_type,
        "delivery_mode": properties.delivery_mode,
        "timestamp": properties.timestamp,
        "headers": properties.headers or {},
        "body_text": text,
        "received_at": time.time() * 1000,
    }
    try:
        out["body"] = json.loads(text)
    except ValueError:
        pass
    return out


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(2)
