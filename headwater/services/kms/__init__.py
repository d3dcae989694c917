"""AWS Key Management Service: the one key ring (keys, aliases, AES-GCM) and the KMS API on it."""
