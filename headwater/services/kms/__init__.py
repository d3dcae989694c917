"""A local KMS stand-in: keys and aliases for server-side encryption (Kinesis StartStreamEncryption)."""
