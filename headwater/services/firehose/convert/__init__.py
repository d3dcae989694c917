"""Record format conversion (JSON to Parquet or ORC with a Glue table's schema): `converter.Converter`."""
