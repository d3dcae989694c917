"""Kinesis channels: a stream's records delivered to S3 (or S3 Tables) by the firehose service's
machinery, through the `ChannelDelivery` port."""
