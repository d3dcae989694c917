"""The environment Lambda gives a function's runtime, pointed at this Headwater.

Lambda's reserved variables (function name, version, memory size, log group and stream, region,
handler, credentials, TZ...), the function's own Environment.Variables (which cannot override the
reserved ones, as on AWS), and AWS_ENDPOINT_URL so an SDK inside the function calls Headwater.
The credentials are the function's account id as the access key (a 12-digit key selects that
account here), so calls from the function act in its account; with `--auth strict` they are the
first configured key pair, which the server verifies.
"""

from __future__ import annotations

import os

from headwater.config import Config
from headwater.services.functions.record import FunctionRecord, log_group

# what the runtime inherits from the server's own environment
PASSED = ("PATH", "LANG", "LD_LIBRARY_PATH", "SYSTEMROOT")
RESERVED = frozenset(
    {
        "_HANDLER",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def endpoint_url(config: Config) -> str:
    host = config.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if config.tls else 'http'}://{host}:{config.port}"


def worker_environment(config: Config, record: FunctionRecord, stream: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "en_US.UTF-8")
    env.update({k: v for k, v in record.environment.items() if k not in RESERVED})
    env.update(
        {
            "_HANDLER": record.handler,
            "AWS_REGION": record.region,
            "AWS_DEFAULT_REGION": record.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{record.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": record.name,
            "AWS_LAMBDA_FUNCTION_VERSION": record.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(record.memory_size),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group(record.name),
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_ACCESS_KEY_ID": record.account,
            "AWS_ACCESS_KEY": record.account,
            "AWS_SECRET_ACCESS_KEY": "headwater",
            "AWS_SESSION_TOKEN": "headwater-function-session",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "TZ": ":UTC",
        }
    )
    if config.auth == "strict" and config.credentials:
        access_key, secret = next(iter(config.credentials.items()))
        env.update(
            {"AWS_ACCESS_KEY_ID": access_key, "AWS_ACCESS_KEY": access_key, "AWS_SECRET_ACCESS_KEY": secret}
        )
        env.pop("AWS_SESSION_TOKEN")  # a session token the server did not issue would be refused
    env.setdefault("AWS_ENDPOINT_URL", endpoint_url(config))
    if config.tls and config.tls_cert is None:
        env.setdefault("AWS_CA_BUNDLE", str(config.data_dir / "tls" / "headwater.crt"))
    return env
