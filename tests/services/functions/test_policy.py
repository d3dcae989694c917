"""Resource-policy statements as Lambda renders them, and their evaluation."""

from __future__ import annotations

from headwater.services.functions.policy import Policy, Request, principal, statement

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


def test_principals_render_as_lambda_writes_them() -> None:
    assert principal("*") == "*"
    assert principal("111122223333") == {"AWS": "arn:aws:iam::111122223333:root"}
    assert principal("arn:aws:iam::111122223333:role/r") == {"AWS": "arn:aws:iam::111122223333:role/r"}
    assert principal("s3.amazonaws.com") == {"Service": "s3.amazonaws.com"}


def test_service_principal_with_source_conditions() -> None:
    params = {
        "StatementId": "s3",
        "Action": "lambda:InvokeFunction",
        "Principal": "s3.amazonaws.com",
        "SourceArn": "arn:aws:s3:::logs-*",
        "SourceAccount": "000000000000",
    }
    policy = Policy(statements=[statement(params, ARN)])
    ok = Request("lambda:InvokeFunction", "s3.amazonaws.com", "arn:aws:s3:::logs-1", "000000000000")
    assert policy.allows(ok)
    assert not policy.allows(
        Request("lambda:InvokeFunction", "s3.amazonaws.com", "arn:aws:s3:::other", "000000000000")
    )
    assert not policy.allows(
        Request("lambda:InvokeFunction", "s3.amazonaws.com", "arn:aws:s3:::logs-1", "1" * 12)
    )
    assert not policy.allows(
        Request("lambda:InvokeFunction", "sns.amazonaws.com", "arn:aws:s3:::logs-1", "0" * 12)
    )
    assert not policy.allows(
        Request("lambda:GetFunction", "s3.amazonaws.com", "arn:aws:s3:::logs-1", "0" * 12)
    )
    # a condition on a key the request does not carry fails
    assert not policy.allows(Request("lambda:InvokeFunction", "s3.amazonaws.com"))


def test_url_statements_and_wildcard_actions() -> None:
    url = statement(
        {
            "StatementId": "u",
            "Action": "lambda:InvokeFunctionUrl",
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        },
        ARN,
    )
    via = statement(
        {
            "StatementId": "v",
            "Action": "lambda:InvokeFunction",
            "Principal": "*",
            "InvokedViaFunctionUrl": True,
        },
        ARN,
    )
    policy = Policy(statements=[url, via])
    assert policy.allows(Request("lambda:InvokeFunctionUrl", "*", url_auth_type="NONE", via_url=True))
    assert not policy.allows(Request("lambda:InvokeFunctionUrl", "*", url_auth_type="AWS_IAM", via_url=True))
    assert policy.allows(Request("lambda:InvokeFunction", "*", via_url=True))
    assert not policy.allows(Request("lambda:InvokeFunction", "*"))  # a direct invoke is not via the URL
    everything = Policy(
        statements=[statement({"StatementId": "a", "Action": "lambda:*", "Principal": "1" * 12}, ARN)]
    )
    assert everything.allows(Request("lambda:InvokeFunction", "1" * 12))
    assert not everything.allows(Request("lambda:InvokeFunction", "2" * 12))
