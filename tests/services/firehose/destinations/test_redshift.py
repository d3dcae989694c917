"""The Redshift destination against a real PostgreSQL server: staged objects COPied with JSON
'auto', CSV and delimited text options, rows and values checked after delivery, all-or-nothing
batches, the errors/ manifest once RetryOptions are spent, and CopyOptions that cannot be honoured
refused up front."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
from decimal import Decimal
from typing import Any

import pytest

from headwater.runtime.clock import TestClock
from headwater.services.firehose.destinations.copy_options import CopyOptionsError
from headwater.services.firehose.destinations.redshift import RedshiftDestination, parse_jdbc_url
from headwater.services.firehose.records import Record
from headwater.services.ports import ObjectSourceError
from tests.e2e.support.postgres import Postgres

ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/warehouse"


class Bucket:
    """The staging bucket as the ObjectSource port shows it (S3's own implementation is tested
    with the S3 service)."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    async def read_object(
        self, account: str, bucket: str, key: str, version: str | None = None, limit: int = 0
    ) -> bytes:
        if key not in self.objects:
            raise ObjectSourceError("NoSuchKey", "The specified key does not exist.")
        return self.objects[key]


def destination(
    pg: Postgres, table: str, options: str, columns: str = "", **extra: Any
) -> RedshiftDestination:
    config = {
        "ClusterJDBCURL": pg.jdbc_url,
        "Username": pg.user,
        "Password": pg.password,
        "CopyCommand": {"DataTableName": table, "DataTableColumns": columns, "CopyOptions": options},
        **extra,
    }
    return RedshiftDestination(config, clock=TestClock(), objects=Bucket(STAGED), account="000000000000")


STAGED: dict[str, bytes] = {}


def table(pg: Postgres, name: str, ddl: str) -> None:
    pg.execute(f"DROP TABLE IF EXISTS {name}")
    pg.execute(f"CREATE TABLE {name} ({ddl})")


def test_json_auto_gzip_from_the_staged_object(postgres: Postgres) -> None:
    table(postgres, "events", "id integer, name varchar(20), amount numeric(8,2), ok boolean,"
          " tags varchar(200), at timestamp, extra text DEFAULT 'd'")  # fmt: skip
    records = [
        {"id": 1, "name": "alpha", "amount": 1.5, "ok": True, "tags": ["x", "y"], "at": 1700000000},
        {"id": 2, "name": "beta", "amount": None, "ok": False, "at": 1700000060, "unused": 1},
        {"id": 3, "name": "", "amount": "3.25", "tags": {"k": "v"}, "at": 1700000120},
    ]
    # Firehose concatenates records with no delimiter; COPY JSON 'auto' reads them so
    STAGED["2026/12/05/20/warehouse-1-a"] = gzip.compress(b"".join(json.dumps(r).encode() for r in records))
    dest = destination(postgres, "public.events", "JSON 'auto' GZIP TIMEFORMAT 'epochsecs'",
                       "id, name, amount, ok, tags, at")  # fmt: skip
    manifest = asyncio.run(dest.deliver_object("staging", "2026/12/05/20/warehouse-1-a"))
    assert manifest is None
    rows = postgres.execute("SELECT id, name, amount, ok, tags, at, extra FROM events ORDER BY id")
    assert rows == [
        (1, "alpha", Decimal("1.50"), True, '["x","y"]', dt.datetime(2023, 11, 14, 22, 13, 20), "d"),
        (2, "beta", None, False, None, dt.datetime(2023, 11, 14, 22, 14, 20), "d"),
        (3, "", Decimal("3.25"), None, '{"k":"v"}', dt.datetime(2023, 11, 14, 22, 15, 20), "d"),
    ]


def test_json_auto_ignorecase_and_deliver_from_records(postgres: Postgres) -> None:
    table(postgres, "people", "name text, age int")
    data = [Record("1", b'{"NAME":"Ann","Age":31}\n', 0), Record("2", b'{"name":"Bo"}\n', 0)]
    assert asyncio.run(destination(postgres, "people", "json 'auto ignorecase'").deliver(data, ARN)) == []
    assert postgres.execute("SELECT name, age FROM people ORDER BY name") == [("Ann", 31), ("Bo", None)]
    # 'auto' is case-sensitive: upper-case keys match nothing
    asyncio.run(destination(postgres, "people", "JSON 'auto'").deliver(data[:1], ARN))
    assert postgres.execute("SELECT count(*) FROM people WHERE name IS NULL") == [(1,)]


def test_csv_with_header_quotes_nulls_and_dates(postgres: Postgres) -> None:
    table(postgres, "orders", "id int, customer varchar(10), note text, day date, total int")
    STAGED["orders.csv"] = (
        b"id,customer,note,day\n"
        b'1,"Smith, J","said ""hi""",02/25/2016\n'
        b"2,,NA,12/31/2015\n"
        b'3,Lee,"multi\nline",\n'
    )
    dest = destination(postgres, "orders", "CSV IGNOREHEADER 1 EMPTYASNULL NULL AS 'NA' DATEFORMAT 'MM/DD/YYYY'",
                       "id,customer,note,day")  # fmt: skip
    assert asyncio.run(dest.deliver_object("staging", "orders.csv")) is None
    assert postgres.execute("SELECT id, customer, note, day, total FROM orders ORDER BY id") == [
        (1, "Smith, J", 'said "hi"', dt.date(2016, 2, 25), None),
        (2, None, None, dt.date(2015, 12, 31), None),
        (3, "Lee", "multi\nline", None, None),
    ]


def test_delimited_text_escape_truncate_blanks_and_timeformat(postgres: Postgres) -> None:
    table(postgres, "logs", "level varchar(4), message text, at timestamp, code int")
    STAGED["logs.txt"] = (
        b"WARNING|disk\\|full|2016-02-25 13:00:00|7\n"
        b"INFO|   |2016-02-25 01:02:03|\n"
        b"ERR|null here|2016-02-25 23:59:59|\\N\n"
    )
    dest = destination(postgres, "logs", "DELIMITER '|' ESCAPE TRUNCATECOLUMNS BLANKSASNULL "
                       "TIMEFORMAT 'YYYY-MM-DD HH:MI:SS' COMPUPDATE OFF STATUPDATE OFF REGION 'us-east-1'")  # fmt: skip
    assert asyncio.run(dest.deliver_object("staging", "logs.txt")) is None
    assert postgres.execute("SELECT level, message, at, code FROM logs ORDER BY at") == [
        ("INFO", None, dt.datetime(2016, 2, 25, 1, 2, 3), None),
        ("WARN", "disk|full", dt.datetime(2016, 2, 25, 13, 0, 0), 7),
        ("ERR", "null here", dt.datetime(2016, 2, 25, 23, 59, 59), None),
    ]


def test_a_bad_row_loads_nothing_and_the_object_goes_to_an_errors_manifest(postgres: Postgres) -> None:
    table(postgres, "nums", "n int")
    STAGED["bad.json"] = b'{"n":1}{"n":"two"}'
    dest = destination(postgres, "nums", "JSON 'auto'", RetryOptions={"DurationInSeconds": 0})
    manifest = asyncio.run(dest.deliver_object("staging", "bad.json"))
    assert postgres.execute("SELECT count(*) FROM nums") == [(0,)]
    assert manifest is not None
    assert manifest.key.startswith("errors/manifests/") and manifest.key.endswith("/bad.json")
    assert json.loads(manifest.body) == {"entries": [{"url": "s3://staging/bad.json", "mandatory": True}]}


def test_missing_table_and_missing_object_fail_clearly(postgres: Postgres) -> None:
    from headwater.services.firehose.destinations.redshift import RedshiftLoadError

    dest = destination(postgres, "nowhere", "JSON 'auto'")
    with pytest.raises(RedshiftLoadError, match='relation "nowhere" does not exist'):
        asyncio.run(dest.load(b'{"a":1}'))
    table(postgres, "t1", "a int")
    with pytest.raises(RedshiftLoadError, match="NoSuchKey|does not exist"):
        asyncio.run(destination(postgres, "t1", "").copy_object("staging", "absent"))
    failures = asyncio.run(
        destination(postgres, "t1", "", "a, b", RetryOptions={"DurationInSeconds": 0}).deliver(
            [Record("r", b"1|2\n", 0)], ARN
        )
    )
    assert [(f.error_code, f.error_message) for f in failures] == [
        ("Redshift.ColumnNotFound", 'column "b" of relation "t1" does not exist')
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("FIXEDWIDTH 'a:1'", "FIXEDWIDTH"),
        ("JSON 's3://bucket/jsonpaths.json'", "JSONPaths"),
        ("MAXERROR 10", "MAXERROR"),
        ("FORMAT AS AVRO 'auto'", "AVRO"),
        ("LZOP", "LZOP"),
        ("DELIMITER 'ab'", "single character"),
        ("IGNOREHEADER x", "whole number"),
        ("FROBNICATE", "unknown"),
        ("DELIMITER 'unterminated", "cannot be parsed"),
    ],
)
def test_copy_options_that_cannot_be_honoured_are_refused(options: str, message: str) -> None:
    with pytest.raises(CopyOptionsError, match=message):
        RedshiftDestination(
            {"ClusterJDBCURL": "jdbc:redshift://h.example.com:5439/dev", "CopyCommand": {
                "DataTableName": "t", "CopyOptions": options}},
            clock=TestClock(),
        )  # fmt: skip


def test_jdbc_urls() -> None:
    assert parse_jdbc_url("jdbc:redshift://c1.abc.us-east-1.redshift.amazonaws.com:5439/dev") == (
        "c1.abc.us-east-1.redshift.amazonaws.com", 5439, "dev")  # fmt: skip
    assert parse_jdbc_url("jdbc:postgresql://127.0.0.1:6543/db_1?ssl=true") == ("127.0.0.1", 6543, "db_1")
    with pytest.raises(ValueError, match="jdbc:redshift://"):
        parse_jdbc_url("postgres://x/y")
