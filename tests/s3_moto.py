"""A local S3-compatible server (moto) for tests/it/s3.rs, and the few bucket operations the tests
need that curlab itself does not do (create buckets and users, list with checksums, copy).

    python tests/s3_moto.py serve [--forever]
        Start moto on 127.0.0.1 at a free port and print its endpoint URL on one line. Stops at
        end of standard input (the test process holding the pipe exited), or on SIGTERM/SIGINT
        with --forever (.ci/run).
    python tests/s3_moto.py setup ENDPOINT BUCKET...
        Create an IAM user with an access key allowed s3:* (except the deny rules below),
        create the buckets, then switch request authentication on, so wrong keys are rejected
        as on AWS. Prints {"access_key_id": ..., "secret_access_key": ...}.
    python tests/s3_moto.py ls ENDPOINT BUCKET PREFIX     (credentials from the environment)
        Print [{"key", "size", "etag"}] for every object under PREFIX.
    python tests/s3_moto.py cp ENDPOINT BUCKET SRC DST     (credentials from the environment)

Deny rules, for the upload-failure tests: no PutObject of manifests in bucket
`curlab-deny-manifest`, and of Parquet files in bucket `curlab-deny-data`.
"""

import json
import signal
import sys
import threading
import urllib.request

USER = "curlab-test"


def serve(forever):
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    done = threading.Event()
    if forever:
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        done.wait()
    else:
        sys.stdin.read()
    server.stop()


def reset_auth(endpoint, count):
    req = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=str(count).encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},  # a form type would hide the body from moto
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def client(service, endpoint, **keys):
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", **keys)


def setup(endpoint, buckets):
    reset_auth(endpoint, "inf")
    anon = {"aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
    iam = client("iam", endpoint, **anon)
    try:
        iam.create_user(UserName=USER)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]},
            {
                "Effect": "Deny",
                "Action": ["s3:PutObject"],
                "Resource": [
                    "arn:aws:s3:::curlab-deny-manifest/*Manifest.json",
                    "arn:aws:s3:::curlab-deny-data/*.parquet",
                ],
            },
        ],
    }
    iam.put_user_policy(UserName=USER, PolicyName="s3", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    keys = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    s3 = client("s3", endpoint, **keys)
    for b in buckets:
        try:
            s3.create_bucket(Bucket=b)
        except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            pass
    reset_auth(endpoint, 0)
    print(json.dumps({"access_key_id": keys["aws_access_key_id"],
                      "secret_access_key": keys["aws_secret_access_key"]}))


def ls(endpoint, bucket, prefix):
    s3 = client("s3", endpoint)
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out.append({"key": o["Key"], "size": o["Size"], "etag": o["ETag"].strip('"')})
    print(json.dumps(out))


def cp(endpoint, bucket, src, dst):
    s3 = client("s3", endpoint)
    s3.copy_object(Bucket=bucket, Key=dst, CopySource={"Bucket": bucket, "Key": src})


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == "serve":
        serve("--forever" in args)
    elif cmd == "setup":
        setup(args[0], args[1:])
    elif cmd == "ls":
        ls(*args)
    elif cmd == "cp":
        cp(*args)
    else:
        sys.exit(f"unknown command {cmd}; see the docstring")


if __name__ == "__main__":
    main(sys.argv[1:])
