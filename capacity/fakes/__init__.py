"""Fakes of external services for tests, demos and benchmarks (loopback only)."""
