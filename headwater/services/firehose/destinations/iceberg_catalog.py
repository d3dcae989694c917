"""A pyiceberg catalog over Headwater's Glue Data Catalog (the `TableCatalog` port), for the
Iceberg destination's writer thread.

An Iceberg table in Glue is a table whose parameters say `table_type=ICEBERG` and name its current
`metadata_location`, as pyiceberg's and Spark's Glue catalogs keep it; Headwater's table is read
and written in process, so a table any Glue client made is found and what is committed here is
what they see. A commit writes the next metadata file, then swaps `metadata_location` (keeping the
old one as `previous_metadata_location`) only while the Glue table is still at the version it was
read at: a concurrent writer's commit makes this one fail (CommitFailedException) and retry.
Port calls run on the event loop through the `LoopBridge`.
"""

from __future__ import annotations

from typing import Any

from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.exceptions import (
    CommitFailedException,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.io import FileIO
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.serializers import FromInputFile
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER, SortOrder
from pyiceberg.typedef import EMPTY_DICT, Identifier, Properties
from pyiceberg.types import IcebergType, ListType, MapType, PrimitiveType, StructType

from headwater.services.firehose.destinations.iceberg_io import HeadwaterFileIO, LoopBridge
from headwater.services.ports import CatalogError, CatalogTable, TableCatalog, TableColumn

METADATA_LOCATION = "metadata_location"
PREVIOUS_METADATA_LOCATION = "previous_metadata_location"
_HIVE = {
    "boolean": "boolean",
    "int": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "date": "date",
    "string": "string",
    "uuid": "string",
    "binary": "binary",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "time": "string",
}


def hive_type(kind: IcebergType) -> str:
    """The Glue column type Athena and Glue show for an Iceberg type."""
    if isinstance(kind, StructType):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.field_type)}" for f in kind.fields) + ">"
    if isinstance(kind, ListType):
        return f"array<{hive_type(kind.element_type)}>"
    if isinstance(kind, MapType):
        return f"map<{hive_type(kind.key_type)},{hive_type(kind.value_type)}>"
    if isinstance(kind, PrimitiveType):
        name = str(kind)
        return _HIVE.get(name, name)  # decimal(p,s), fixed[n]
    return "string"


def glue_columns(schema: Schema) -> list[TableColumn]:
    return [TableColumn(f.name, hive_type(f.field_type), f.doc) for f in schema.fields]


class PortCatalog(MetastoreCatalog):
    """load_table, create_table and commit_table over the TableCatalog port; the rest of the
    Catalog interface is not needed by a delivery stream."""

    def __init__(
        self, catalog: TableCatalog, io: HeadwaterFileIO, account: str, region: str, warehouse: str | None
    ) -> None:
        super().__init__("headwater", **({"warehouse": warehouse} if warehouse else {}))
        self._catalog = catalog
        self._io = io
        self._bridge: LoopBridge = io.bridge
        self.account = account
        self.region = region

    def _load_file_io(self, properties: Properties = EMPTY_DICT, location: str | None = None) -> FileIO:
        return self._io

    # -- the port, on the loop ------------------------------------------------------------------

    def _glue_table(self, database: str, name: str) -> CatalogTable:
        async def read() -> CatalogTable:
            return self._catalog.table(self.account, self.region, database, name)

        try:
            return self._bridge.call(read)
        except CatalogError as error:
            if error.code == "EntityNotFoundException":
                raise NoSuchTableError(f"{database}.{name}: {error.message}") from None
            raise

    def _table_from(self, database: str, found: CatalogTable) -> Table:
        if (found.parameters.get("table_type") or "").upper() != "ICEBERG":
            raise NoSuchTableError(f"{database}.{found.name} is not an Iceberg table")
        location = found.parameters.get(METADATA_LOCATION)
        if not location:
            raise NoSuchTableError(f"{database}.{found.name} has no metadata_location")
        metadata = FromInputFile.table_metadata(self._io.new_input(location))
        return Table(
            identifier=(database, found.name),
            metadata=metadata,
            metadata_location=location,
            io=self._io,
            catalog=self,
        )

    # -- what a delivery stream uses ------------------------------------------------------------

    def load_table(self, identifier: str | Identifier) -> Table:
        database, name = self.identifier_to_database_and_table(identifier, NoSuchTableError)
        return self._table_from(database, self._glue_table(database, name))

    def create_table(
        self,
        identifier: str | Identifier,
        schema: Schema | Any,
        location: str | None = None,
        partition_spec: PartitionSpec = UNPARTITIONED_PARTITION_SPEC,
        sort_order: SortOrder = UNSORTED_SORT_ORDER,
        properties: Properties = EMPTY_DICT,
    ) -> Table:
        staged = self._create_staged_table(
            identifier, schema, location, partition_spec, sort_order, properties
        )
        self._write_metadata(staged.metadata, self._io, staged.metadata_location)
        database, name = staged.name()
        parameters = {"table_type": "ICEBERG", METADATA_LOCATION: staged.metadata_location}
        columns = glue_columns(staged.metadata.schema())

        async def create() -> CatalogTable:
            return await self._catalog.create_table(
                self.account,
                self.region,
                database,
                name,
                location=staged.metadata.location,
                columns=columns,
                parameters=parameters,
            )

        try:
            self._bridge.call(create)
        except CatalogError as error:
            if error.code == "AlreadyExistsException":
                raise TableAlreadyExistsError(f"{database}.{name} already exists") from None
            if error.code == "EntityNotFoundException":
                raise NoSuchNamespaceError(error.message) from None
            raise
        return self.load_table((database, name))

    def commit_table(
        self, table: Table, requirements: tuple[Any, ...], updates: tuple[Any, ...]
    ) -> CommitTableResponse:
        database, name = self.identifier_to_database_and_table(table.name(), NoSuchTableError)
        found = self._glue_table(database, name)
        current = self._table_from(database, found)
        staged = self._update_and_stage_table(current, (database, name), requirements, updates)
        if staged.metadata == current.metadata:
            return _response(current.metadata, current.metadata_location)
        self._write_metadata(staged.metadata, self._io, staged.metadata_location)
        parameters = {
            METADATA_LOCATION: staged.metadata_location,
            PREVIOUS_METADATA_LOCATION: current.metadata_location,
        }
        columns = glue_columns(staged.metadata.schema())

        async def swap() -> CatalogTable:
            return await self._catalog.commit_parameters(
                self.account,
                self.region,
                database,
                name,
                version_id=found.version_id,
                parameters=parameters,
                columns=columns,
            )

        try:
            self._bridge.call(swap)
        except CatalogError as error:
            if error.code == "ConcurrentModificationException":
                raise CommitFailedException(f"{database}.{name}: {error.message}") from None
            raise
        return _response(staged.metadata, staged.metadata_location)

    def load_namespace_properties(self, namespace: str | Identifier) -> Properties:
        return {}

    # -- not needed by a delivery stream --------------------------------------------------------

    def _unsupported(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("not offered by Firehose's Iceberg catalog")

    register_table = drop_table = rename_table = create_namespace = drop_namespace = _unsupported
    list_tables = list_namespaces = list_views = load_view = drop_view = view_exists = _unsupported
    update_namespace_properties = register_view = _unsupported


def _response(metadata: TableMetadata, location: str) -> CommitTableResponse:
    fields: dict[str, Any] = {"metadata": metadata, "metadata-location": location}  # its alias
    return CommitTableResponse(**fields)
