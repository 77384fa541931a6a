"""Capacity (true booking %) analytics: dbt orchestration, backfill and consumers."""
