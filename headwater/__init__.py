"""Headwater: a self-hosted implementation of the AWS data-collection services."""

__version__ = "0.1.0"
