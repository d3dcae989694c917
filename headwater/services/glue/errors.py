"""Glue's errors, in AWS's words."""

from __future__ import annotations

from headwater.protocol.errors import AwsError


def invalid(message: str) -> AwsError:
    return AwsError("InvalidInputException", message)


def not_found(message: str) -> AwsError:
    return AwsError("EntityNotFoundException", message)


def database_not_found(name: str) -> AwsError:
    return not_found(f"Database {name} not found.")


def table_not_found(name: str) -> AwsError:
    return not_found(f"Table {name} not found.")


def version_not_found(table: str, version: str) -> AwsError:
    return not_found(f"Version {version} of table {table} not found.")


def partition_not_found() -> AwsError:
    return not_found("Cannot find partition.")


def exists(message: str) -> AwsError:
    return AwsError("AlreadyExistsException", message)


def concurrent(message: str) -> AwsError:
    return AwsError("ConcurrentModificationException", message)


def bad_token() -> AwsError:
    return invalid("Invalid pagination token.")
