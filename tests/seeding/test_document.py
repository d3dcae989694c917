"""Seed files: structure checks, and errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.seeding.document import SeedError, load
from headwater.seeding.locate import JsonLocator, TomlLocator

KINDS = {"kinesis": ("streams",), "sqs": ("queues",), "s3": ("buckets",), "kms": ("keys",)}


def seed(tmp_path: Path, text: str, name: str = "seed.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(SeedError) as caught:
        load(path, KINDS, "000000000000", "us-east-1")
    return str(caught.value)


def test_entries_carry_their_parameters_and_scope(tmp_path: Path) -> None:
    path = seed(
        tmp_path,
        'region = "eu-west-1"\n'
        '[[sqs.queues]]\nQueueName = "a"\n'
        '[[sqs.queues]]\nQueueName = "b"\naccount = "111122223333"\n'
        '[[kinesis.streams]]\nStreamName = "s"\nShardCount = 1\n',
    )
    entries = load(path, KINDS, "000000000000", "us-east-1").entries
    assert [(e.where, e.params, e.account, e.region) for e in entries] == [
        ("sqs.queues[0]", {"QueueName": "a"}, "000000000000", "eu-west-1"),
        ("sqs.queues[1]", {"QueueName": "b"}, "111122223333", "eu-west-1"),
        ("kinesis.streams[0]", {"StreamName": "s", "ShardCount": 1}, "000000000000", "eu-west-1"),
    ]


def test_json_has_the_same_shape(tmp_path: Path) -> None:
    path = seed(tmp_path, '{"sqs": {"queues": [{"QueueName": "a"}]}}', "seed.json")
    [entry] = load(path, KINDS, "000000000000", "us-east-1").entries
    assert entry.params == {"QueueName": "a"}


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = seed(tmp_path, '[[sqs.queues]]\nQueueName = "a"\nbroken = \n')
    assert error_of(path) == f"{path}:3: invalid TOML: Invalid value"


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = seed(tmp_path, '{"sqs": {\n  "queues": [\n    {"QueueName": "a",}\n]}}', "seed.json")
    assert error_of(path).startswith(f"{path}:3: invalid JSON: ")


def test_unknown_section_and_entry_list(tmp_path: Path) -> None:
    path = seed(tmp_path, '[[sqs.queues]]\nQueueName = "a"\n\n[[kineses.streams]]\nStreamName = "s"\n')
    assert error_of(path) == (
        f"{path}:4: unknown section 'kineses' (sections: kinesis, kms, s3, sqs, account, region)"
    )
    path = seed(tmp_path, '[sqs]\nqueue = [{ QueueName = "a" }]\n')
    assert error_of(path) == f"{path}:2: unknown entry list sqs.queue (sqs takes: queues)"


def test_bad_account_and_region_name_their_entry(tmp_path: Path) -> None:
    path = seed(
        tmp_path, '[[sqs.queues]]\nQueueName = "a"\n[[sqs.queues]]\nQueueName = "b"\naccount = "12"\n'
    )
    assert error_of(path) == f"{path}:3: account '12' is not a 12-digit account id"
    path = seed(tmp_path, 'region = "mars"\n')
    assert error_of(path) == f"{path}: region 'mars' is not a region name such as us-east-1"


def test_entries_must_be_tables(tmp_path: Path) -> None:
    path = seed(tmp_path, '{"sqs": {"queues": ["jobs"]}}', "seed.json")
    assert error_of(path) == f"{path}:1: sqs.queues[0] is not a table"
    path = seed(tmp_path, '[sqs]\nqueues = "jobs"\n')
    assert error_of(path) == f"{path}:2: sqs.queues is a list of tables ([[sqs.queues]])"


def test_toml_locator_counts_array_of_tables_headers() -> None:
    text = (
        '[[sqs.queues]]\nQueueName = "a"\n\n'
        '[[kinesis.streams]]\nStreamName = "s"\n\n'
        '[[ sqs . "queues" ]]\nQueueName = "b"\n'
    )
    locator = TomlLocator(text)
    assert locator.line(("sqs", "queues", 0)) == 1
    assert locator.line(("sqs", "queues", 1)) == 7
    assert locator.line(("kinesis", "streams", 0)) == 4
    assert locator.line(("kinesis",)) == 4
    assert locator.line(("s3", "buckets", 0)) is None


def test_toml_locator_falls_back_to_an_inline_array() -> None:
    text = 'account = "000000000000"\n[sqs]\nqueues = [\n  { QueueName = "a" },\n]\n'
    assert TomlLocator(text).line(("sqs", "queues", 0)) == 3
    assert TomlLocator(text).line(("sqs",)) == 2


def test_json_locator_finds_nested_entries() -> None:
    text = '{\n  "sqs": {\n    "queues": [\n      {"QueueName": "a"},\n\n      {"QueueName": "b, \\"c\\""}\n    ]\n  }\n}'
    locator = JsonLocator(text)
    assert locator.line(("sqs", "queues", 0)) == 4
    assert locator.line(("sqs", "queues", 1)) == 6
    assert locator.line(("sqs", "queues", 5)) == 3  # falls back to the list
    assert locator.line(("sqs",)) == 2
