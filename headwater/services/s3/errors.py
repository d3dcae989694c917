"""S3's errors: code, message and status as S3 answers them, with the extra XML elements it adds."""

from __future__ import annotations

from headwater.protocol.errors import AwsError


def s3_error(code: str, message: str, status: int = 400, **details: str) -> AwsError:
    return AwsError(code, message, status, details=dict(details))


def no_such_bucket(bucket: str) -> AwsError:
    return s3_error("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)


def no_such_key(key: str) -> AwsError:
    return s3_error("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def no_such_version(key: str, version_id: str) -> AwsError:
    return s3_error(
        "NoSuchVersion",
        "The specified version does not exist.",
        404,
        Key=key,
        VersionId=version_id,
    )


def no_such_upload(upload_id: str) -> AwsError:
    return s3_error(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
        "aborted or completed.",
        404,
        UploadId=upload_id,
    )


def invalid_argument(message: str, name: str, value: str | None = None) -> AwsError:
    details = {"ArgumentName": name}
    if value is not None:
        details["ArgumentValue"] = value
    return s3_error("InvalidArgument", message, 400, **details)


def invalid_request(message: str) -> AwsError:
    return s3_error("InvalidRequest", message)


def malformed_xml() -> AwsError:
    return s3_error(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def precondition_failed(condition: str) -> AwsError:
    return s3_error(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        Condition=condition,
    )


def not_implemented(what: str) -> AwsError:
    return s3_error(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        501,
        Header=what,
    )
