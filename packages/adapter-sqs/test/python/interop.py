"""Shared by the boto3 interop scripts: the boto3 import, the SQS client, JSON lines out.

Every script prints one JSON object per line on stdout and exits non-zero with a message on
stderr when something is wrong, so the test can assert both. Credentials and the region come
from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), as in services.
"""

import atexit
import copy
import json
import os
import shutil
import sys
import tempfile


def require_boto3():
    """Import boto3, or exit 3 with the fix: the test turns this into a failure, never a skip."""
    try:
        import boto3  # noqa: PLC0415
        import botocore.session  # noqa: PLC0415
    except ImportError as error:
        sys.stderr.write(
            f"MISSING_MODULE boto3: {sys.executable} cannot import boto3 ({error}); "
            "run scripts/services.sh (it installs python3-boto3)\n"
        )
        sys.exit(3)
    return boto3, botocore.session


def _json_protocol_model(raw):
    """The SQS model of an older botocore (AWS query protocol) as the AWS JSON 1.0 protocol.

    SQS now accepts both, and current boto3 sends JSON; Debian bookworm's botocore 1.29
    still sends query requests, which the SQS emulator of the tests (fauxqs) does not parse. The
    operations, their parameters and the messages are the same either way: only member wire
    names (locationName) and result wrappers belong to the query protocol.
    """
    model = copy.deepcopy(raw)
    meta = model["metadata"]
    meta.update(protocol="json", jsonVersion="1.0", targetPrefix="AmazonSQS", awsQueryCompatible={})
    meta.pop("xmlNamespace", None)

    def strip(ref):
        if isinstance(ref, dict):
            ref.pop("locationName", None)

    for shape in model["shapes"].values():
        for member in shape.get("members", {}).values():
            strip(member)
        for key in ("member", "key", "value"):
            strip(shape.get(key))
    for operation in model["operations"].values():
        if isinstance(operation.get("output"), dict):
            operation["output"].pop("resultWrapper", None)
    return model


def sqs_client(endpoint):
    """A boto3 SQS client on `endpoint`, speaking the JSON protocol whatever botocore's age."""
    boto3, botocore_session = require_boto3()
    probe = botocore_session.get_session()
    loader = probe.get_component("data_loader")
    raw = loader.load_service_model("sqs", "service-2")
    session = botocore_session.get_session()
    if raw["metadata"]["protocol"] == "query":
        root = tempfile.mkdtemp(prefix="mailroom-boto3-")
        # The model is read lazily (paginators, waiters): keep it while the script runs, no longer.
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        folder = os.path.join(root, "sqs", raw["metadata"]["apiVersion"])
        os.makedirs(folder)
        with open(os.path.join(folder, "service-2.json"), "w") as out:
            json.dump(_json_protocol_model(raw), out)
        session.get_component("data_loader").search_paths.insert(0, root)
    client = boto3.Session(botocore_session=session).client(
        "sqs", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1")
    )
    return client


def emit(obj):
    print(json.dumps(obj, default=str), flush=True)


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(2)
