"""Server access logging end to end: requests to a logged bucket arrive in the target bucket as
log objects in S3's record format, on the server's test clock; a target in another region is
refused."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.support.s3 import error_of, keys_of, s3_client, wait_for
from tests.e2e.support.server import Server

# bucket-owner bucket [time] ip requester request-id operation key "uri" status error bytes size
# total turnaround "referrer" "user-agent" version host-id sigv cipher auth host tls ap-arn acl
_LINE = re.compile(
    r"(?P<owner>[0-9a-f]{64}) (?P<bucket>\S+) \[(?P<time>[^\]]+)\] (?P<ip>\S+) (?P<requester>\S+) "
    r'(?P<request_id>\S+) (?P<operation>\S+) (?P<key>\S+) "(?P<uri>[^"]*)" (?P<status>\d{3}) (?P<error>\S+) '
    r'(?P<sent>\S+) (?P<size>\S+) (?P<total>\S+) (?P<turnaround>\S+) "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)" '
    r"(?P<version>\S+) (?P<host_id>\S+) (?P<sigv>\S+) (?P<cipher>\S+) (?P<auth>\S+) (?P<host>\S+) (?P<tls>\S+) "
    r"(?P<ap>\S+) (?P<acl>\S+)"
)


def test_requests_are_logged_to_the_target(s3: Any, server: Server) -> None:
    s3.create_bucket(Bucket="audited")
    s3.create_bucket(Bucket="log-sink")
    s3.put_bucket_logging(
        Bucket="audited",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "log-sink", "TargetPrefix": "logs/"}},
    )
    assert s3.get_bucket_logging(Bucket="audited")["LoggingEnabled"]["TargetBucket"] == "log-sink"
    s3.put_object(Bucket="audited", Key="a b.txt", Body=b"hello")
    s3.get_object(Bucket="audited", Key="a b.txt")["Body"].read()
    error_of(s3.get_object, Bucket="audited", Key="missing")
    server.advance(120)

    def delivered() -> list[str]:
        return keys_of(s3.list_objects_v2(Bucket="log-sink", Prefix="logs/"))

    [key] = wait_for(delivered, what="an access log object")
    assert re.fullmatch(r"logs/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}", key)
    text = s3.get_object(Bucket="log-sink", Key=key)["Body"].read().decode()
    lines = [_LINE.fullmatch(line) for line in text.splitlines()]
    assert all(lines), text
    records = {(m["operation"], m["key"]): m for m in lines if m}
    put = records[("REST.PUT.OBJECT", "a%20b.txt")]
    assert (put["bucket"], put["status"], put["error"]) == ("audited", "200", "-")
    assert put["uri"].startswith("PUT /audited/a%20b.txt")
    assert (
        put["requester"].startswith("arn:aws:iam::")
        and put["sigv"] == "SigV4"
        and put["auth"] == "AuthHeader"
    )
    get = records[("REST.GET.OBJECT", "a%20b.txt")]
    assert (get["status"], get["sent"]) == ("200", "5")
    missing = records[("REST.GET.OBJECT", "missing")]
    assert (missing["status"], missing["error"]) == ("404", "NoSuchKey")
    # the log's own bucket and the configuration calls before logging was on are not in it
    assert all(m["bucket"] == "audited" for m in lines if m)


def test_target_in_another_region_is_refused(s3: Any, endpoint: str) -> None:
    s3.create_bucket(Bucket="virginia-src")
    eu = s3_client(endpoint, region="eu-west-1")
    eu.create_bucket(Bucket="ireland-sink", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    refused = error_of(
        s3.put_bucket_logging,
        Bucket="virginia-src",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "ireland-sink", "TargetPrefix": "x/"}},
    )
    assert (refused.code, refused.status) == ("CrossLocationLoggingProhibitted", 403)
    assert refused.error["SourceBucketLocation"] == "us-east-1"
    assert refused.error["TargetBucketLocation"] == "eu-west-1"
