"""S3 benchmark (python -m bench.s3): Headwater against moto and LocalStack."""
