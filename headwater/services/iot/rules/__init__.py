"""The IoT rules engine: topic rules (the API), IoT SQL, and actions delivered through a durable outbox."""
