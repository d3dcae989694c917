"""Amazon Data Firehose: delivery streams that buffer, transform, convert, partition and deliver."""
