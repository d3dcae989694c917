"""Tests of IoT SQL."""
