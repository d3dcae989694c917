"""Functions: a Lambda-compatible service that runs functions as plain processes."""
