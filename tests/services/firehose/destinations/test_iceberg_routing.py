"""Iceberg routing: the single table, jq's and a Lambda's metadata, AppendOnly, and the records
that cannot be routed."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.services.firehose.destinations import iceberg_routing as routing
from headwater.services.firehose.destinations.iceberg import problem


def _config(*tables: tuple[str, str], query: str | None = None, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "DestinationTableConfigurationList": [
            {"DestinationDatabaseName": d, "DestinationTableName": t, "UniqueKeys": ["id"]} for d, t in tables
        ],
        **extra,
    }
    if query is not None:
        parameters = [{"ParameterName": "MetadataExtractionQuery", "ParameterValue": query}]
        config["ProcessingConfiguration"] = {
            "Enabled": True,
            "Processors": [{"Type": "MetadataExtraction", "Parameters": parameters}],
        }
    return config


def test_a_single_table_takes_every_record_as_an_insert() -> None:
    settings = routing.settings(_config(("Sales", "Orders")))
    routed = routing.route(settings, 0, b'{"id": 1}')
    assert (routed.settings.database, routed.settings.table, routed.operation) == (
        "sales",
        "orders",
        "insert",
    )
    assert routed.settings.unique_keys == ("id",)


def test_jq_names_the_table_and_the_operation() -> None:
    query = '{destinationDatabaseName: "db", destinationTableName: .kind, operation: .op}'
    settings = routing.settings(_config(("db", "a"), ("db", "b"), query=query))
    routed = routing.route(settings, 3, b'{"kind": "b", "op": "UPDATE"}')
    assert (routed.index, routed.settings.table, routed.operation) == (3, "b", "update")
    unconfigured = routing.route(settings, 0, b'{"kind": "c"}')
    assert (unconfigured.settings.table, unconfigured.settings.unique_keys) == ("c", ())


def test_lambda_metadata_wins_and_append_only_ignores_operations() -> None:
    settings = routing.settings(_config(("db", "a"), AppendOnly=True))
    otf = {"destinationDatabaseName": "db", "destinationTableName": "z", "operation": "delete"}
    routed = routing.route(settings, 0, b"{}", otf)
    assert (routed.settings.table, routed.operation) == ("z", "insert")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not json", "Iceberg.InvalidRecord"),
        (b"[1]", "Iceberg.InvalidRecord"),
        (b'{"kind": "a", "op": "merge"}', "Iceberg.InvalidOperation"),
        (b'{"kind": null}', "Iceberg.MissingTableRouting"),
    ],
)
def test_records_that_cannot_be_routed(data: bytes, code: str) -> None:
    query = '{destinationTableName: .kind, destinationDatabaseName: "db", operation: .op}'
    settings = routing.settings(_config(("db", "a"), ("db", "b"), query=query))
    with pytest.raises(routing.RoutingError) as failed:
        routing.route(settings, 0, data)
    assert failed.value.code == code


def test_catalog_arn_and_options() -> None:
    settings = routing.settings(
        _config(
            ("db", "a"),
            CatalogConfiguration={"CatalogARN": "arn:aws:glue:eu-west-1:111122223333:catalog"},
            SchemaEvolutionConfiguration={"Enabled": True},
            RetryOptions={"DurationInSeconds": 60},
        )
    )
    assert (settings.region, settings.account, settings.evolve, settings.create) == (
        "eu-west-1",
        "111122223333",
        True,
        False,
    )
    assert settings.retry_seconds == 60.0


def test_a_bad_jq_query_is_refused_at_creation() -> None:
    assert problem(_config(("db", "a"), query="{")) is not None
    assert problem(_config(("db", "a"), query=".")) is None


def test_an_s3_tables_catalog_arn_names_the_federated_glue_catalog() -> None:
    arn = "arn:aws:glue:us-east-1:111122223333:catalog/s3tablescatalog/my-tables"
    settings = routing.settings(_config(("ns", "t"), CatalogConfiguration={"CatalogARN": arn}))
    assert (settings.region, settings.account) == ("us-east-1", "111122223333:s3tablescatalog/my-tables")
