"""SQS benchmark (python -m bench.sqs): Headwater against moto and LocalStack."""
