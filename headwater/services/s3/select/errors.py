"""S3 Select's errors, with the codes and messages S3 answers."""

from __future__ import annotations

from headwater.protocol.errors import AwsError
from headwater.services.s3.errors import s3_error


def parse_error(code: str, message: str, line: int | None = None, column: int | None = None) -> AwsError:
    details = {}
    if line is not None and column is not None:
        details = {"LineNumber": str(line), "ColumnNumber": str(column)}
    return s3_error(code, message, 400, **details)


def unexpected_token(line: int | None = None, column: int | None = None) -> AwsError:
    return parse_error(
        "ParseUnexpectedToken", "The token is not expected in the SQL expression.", line, column
    )


def unsupported_syntax() -> AwsError:
    return s3_error("ParseUnsupportedSyntax", "The SQL expression contains unsupported syntax.")


def unsupported_function(name: str) -> AwsError:
    return s3_error("UnsupportedFunction", f"Encountered an unsupported SQL function: {name}.")


def cast_failed() -> AwsError:
    return s3_error(
        "CastFailed",
        "An attempt to convert from one data type to another using CAST failed in the SQL expression.",
    )


def invalid_column_index() -> AwsError:
    return s3_error(
        "InvalidColumnIndex",
        "The column index is invalid. Please check the service documentation and try again.",
    )


def parsing_error(kind: str) -> AwsError:
    """CSVParsingError, JSONParsingError or ParquetParsingError."""
    label = {"CSV": "CSV", "JSON": "JSON", "Parquet": "Parquet"}[kind]
    return s3_error(
        f"{label}ParsingError",
        f"An error occurred while parsing the {label} file. Check the file and try again.",
    )


def invalid_argument(message: str, name: str, value: str) -> AwsError:
    return s3_error("InvalidArgument", message, 400, ArgumentName=name, ArgumentValue=value)


def evaluator_error(message: str = "The SQL expression contains an invalid operation.") -> AwsError:
    return s3_error("EvaluatorInvalidArguments", message)
