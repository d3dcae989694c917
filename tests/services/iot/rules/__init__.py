"""Tests of the IoT rules engine."""
