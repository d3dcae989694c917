"""S3 Select (SelectObjectContent): SQL over one CSV, JSON or Parquet object, streamed back as events.

query.py parses the S3 Select dialect (sqlglot), values.py and evaluate.py compute expressions on a
record, inputs.py turns the object's bytes into records as they arrive, outputs.py writes result
rows, stream.py frames them as the event stream, operation.py is the S3 operation.
"""
