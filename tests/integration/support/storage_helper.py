# The rig's own S3 and Azure Blob client (tests/integration/support/storage.rs):
# boto3 or azure-storage-blob from .peers/storage-venv, kept running for the
# life of one emulator and fed one JSON request a line on stdin, answering one
# JSON line each on stdout:
#
#   {"op": OP, "bucket": B, "name": N, "data": BASE64, "headers": [[K, V]]}
#   -> {"ok": RESULT} | {"missing": true} | {"error": TRACEBACK}
#
# It exits when stdin closes, so it ends with the test process.
import base64
import json
import os
import sys
import traceback

kind, endpoint = sys.argv[1:3]
# The protocol owns the real stdout; anything a library prints goes to stderr.
proto = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)


class Missing(Exception):
    pass


def b64(data):
    return base64.b64encode(data).decode()


def settings_of(headers, names):
    out = {}
    for k, v in headers:
        key = names.get(k.lower())
        if key is None:
            raise ValueError(f"put: unsupported header {k}")
        out[key] = v
    return out


if kind == "s3":
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )

    def s3_call(fn, **kw):
        try:
            return fn(**kw)
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey", "NotFound"):
                raise Missing()
            raise

    def listing(bucket):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [[o["Key"], o["Size"]] for p in pages for o in p.get("Contents", [])]

    def get(bucket, name):
        return s3_call(s3.get_object, Bucket=bucket, Key=name)["Body"].read()

    def handle(op, bucket, name, data, headers):
        if op == "create_bucket":
            s3.create_bucket(Bucket=bucket)
        elif op == "list":
            return listing(bucket)
        elif op == "get":
            return b64(get(bucket, name))
        elif op == "snapshot":
            return {n: b64(get(bucket, n)) for n, _ in listing(bucket)}
        elif op == "headers":
            h = s3_call(s3.head_object, Bucket=bucket, Key=name)
            return sorted(h["ResponseMetadata"]["HTTPHeaders"].items())
        elif op == "put":
            names = {"content-type": "ContentType", "cache-control": "CacheControl"}
            extra = settings_of(headers, names)
            s3.put_object(Bucket=bucket, Key=name, Body=data, **extra)
        elif op == "delete":
            s3.delete_object(Bucket=bucket, Key=name)
        else:
            raise ValueError(f"unknown operation {op}")

elif kind == "azure":
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient, ContentSettings

    KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    service = BlobServiceClient.from_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={KEY};BlobEndpoint={endpoint}/devstoreaccount1;",
        retry_total=0,
        connection_timeout=10,
        read_timeout=60,
    )

    def az_call(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except ResourceNotFoundError:
            raise Missing()

    def get(container, name):
        return az_call(lambda: container.download_blob(name).readall())

    def handle(op, bucket, name, data, headers):
        if op == "sas":
            import datetime
            from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

            return generate_account_sas(
                "devstoreaccount1",
                KEY,
                resource_types=ResourceTypes(service=True, container=True, object=True),
                permission=AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True, create=True),
                expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
            )
        container = service.get_container_client(bucket)
        if op == "create_bucket":
            container.create_container()
        elif op == "list":
            return [[b.name, b.size] for b in container.list_blobs()]
        elif op == "get":
            return b64(get(container, name))
        elif op == "snapshot":
            return {b.name: b64(get(container, b.name)) for b in container.list_blobs()}
        elif op == "headers":
            seen = {}

            def hook(response):
                seen.update(response.http_response.headers)

            blob = container.get_blob_client(name)
            az_call(blob.get_blob_properties, raw_response_hook=hook)
            return sorted((k.lower(), v) for k, v in seen.items())
        elif op == "put":
            names = {"content-type": "content_type", "cache-control": "cache_control"}
            settings = settings_of(headers, names)
            container.upload_blob(
                name,
                data,
                overwrite=True,
                content_settings=ContentSettings(**settings) if settings else None,
            )
        elif op == "delete":
            try:
                container.delete_blob(name)
            except ResourceNotFoundError:
                pass
        else:
            raise ValueError(f"unknown operation {op}")

else:
    raise SystemExit(f"unknown storage kind {kind}")

# Ready: the libraries are imported and the client is built.
proto.write(json.dumps({"ok": "ready"}) + "\n")
proto.flush()
for line in sys.stdin:
    try:
        req = json.loads(line)
        data = base64.b64decode(req.get("data") or "")
        result = handle(req["op"], req["bucket"], req.get("name"), data, req.get("headers") or [])
        answer = {"ok": result}
    except Missing:
        answer = {"missing": True}
    except Exception:
        answer = {"error": traceback.format_exc()}
    proto.write(json.dumps(answer) + "\n")
    proto.flush()
