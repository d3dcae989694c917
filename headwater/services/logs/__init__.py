"""CloudWatch Logs: log groups, streams and events (the logs users tail)."""
