"""CloudEvents and protobuf with pika, written from the specs, as a service with no Mailroom would.

    pika_cloudevents.py --url URL --queue Q --mode publish --proto B64
    pika_cloudevents.py --url URL --queue Q --mode consume --count N --proto B64

publish: to Q through the default exchange —
  1. a binary-mode CloudEvent (AMQP binding: attributes as "cloudEvents:"-prefixed application
     properties, the data's media type as content_type, the data alone as the body);
  2. a structured-mode CloudEvent (content_type application/cloudevents+json, the whole event as
     the JSON body);
  3. a protobuf acme.orders.v1.OrderCreated (content_type application/x-protobuf, the full type
     name as the AMQP type property, the serialized message as the body).
  Prints {"published": <id>} per message.
consume: gets N messages from Q and prints what pika sees of each (interop.describe); a protobuf
  body (content_type application/protobuf) is also parsed and printed as "message".

--proto is the base64 of the FileDescriptorProto of acme/orders/v1/orders.proto: the classes are
built from it at run time, so no protoc is needed.
"""

import argparse
import base64
import json
import time

from interop import connect, describe, emit, fail, require_pika

pika = require_pika()
try:
    from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
except ImportError as error:
    import sys

    sys.stderr.write(f"MISSING_MODULE google.protobuf ({error}); run scripts/services.sh (python3-protobuf)\n")
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--queue", required=True)
parser.add_argument("--mode", choices=["publish", "consume"], required=True)
parser.add_argument("--count", type=int, default=0)
parser.add_argument("--proto", required=True)
parser.add_argument("--timeout", type=float, default=15)
args = parser.parse_args()

pool = descriptor_pool.DescriptorPool()
pool.Add(descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(args.proto)))
_descriptor = pool.FindMessageTypeByName("acme.orders.v1.OrderCreated")
# GetMessageClass is protobuf 4.x's; Debian 12's python3-protobuf has the factory's GetPrototype.
if hasattr(message_factory, "GetMessageClass"):
    OrderCreated = message_factory.GetMessageClass(_descriptor)
else:
    OrderCreated = message_factory.MessageFactory(pool).GetPrototype(_descriptor)

connection = connect(pika, args.url)
channel = connection.channel()

if args.mode == "publish":
    channel.confirm_delivery()
    data = {"id": "o-1", "total": 12.5}
    channel.basic_publish(
        "",
        args.queue,
        body=json.dumps(data),
        properties=pika.BasicProperties(
            content_type="application/json",
            delivery_mode=2,
            headers={
                "cloudEvents:specversion": "1.0",
                "cloudEvents:id": "py-binary-1",
                "cloudEvents:source": "/python/shop",
                "cloudEvents:type": "com.example.order.created",
                "cloudEvents:time": "2026-05-06T07:08:09.123Z",
                "cloudEvents:subject": "o-1",
                "cloudEvents:tenant": "t-9",
                "cloudEvents:correlationid": "conversation-py",
                "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            },
        ),
        mandatory=True,
    )
    emit({"published": "py-binary-1"})
    event = {
        "specversion": "1.0",
        "id": "py-structured-1",
        "source": "/python/shop",
        "type": "com.example.order.created",
        "time": "2026-05-06T07:08:10Z",
        "datacontenttype": "application/json",
        "data": {"id": "o-2", "total": 3},
    }
    channel.basic_publish(
        "",
        args.queue,
        body=json.dumps(event),
        properties=pika.BasicProperties(content_type="application/cloudevents+json; charset=utf-8", delivery_mode=2),
        mandatory=True,
    )
    emit({"published": "py-structured-1"})
    order = OrderCreated(id="o-3", customer="c-3", total=7.25, quantity=9000000000, tags=["py"])
    channel.basic_publish(
        "",
        args.queue,
        body=order.SerializeToString(),
        properties=pika.BasicProperties(
            content_type="application/x-protobuf",
            type="acme.orders.v1.OrderCreated",
            message_id="py-protobuf-1",
            delivery_mode=2,
        ),
        mandatory=True,
    )
    emit({"published": "py-protobuf-1"})
else:
    deadline = time.monotonic() + args.timeout
    got = 0
    while got < args.count:
        method, properties, body = channel.basic_get(args.queue, auto_ack=True)
        if method is None:
            if time.monotonic() > deadline:
                fail(f"got {got} of {args.count} messages from {args.queue} within {args.timeout}s")
            time.sleep(0.05)
            continue
        out = describe(method, properties, body)
        if (properties.content_type or "").startswith("application/protobuf"):
            out["message"] = json_format.MessageToDict(OrderCreated.FromString(body))
        emit(out)
        got += 1
connection.close()
