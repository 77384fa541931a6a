"""The pipeline as a Dagster code location (the optional `orchestration` extra).

Every dbt model an asset (``@dbt_assets`` from the project's manifest), every dbt
test an asset check, the Insights snapshots, the KPI card and the constrained
list as Python assets downstream of the marts, the backfill as a job that only
writes when asked, and schedules that keep the marts fresher than the caches'
max age. ``definitions.py`` is the module Dagster loads; :mod:`.cli` (``capacity
orchestrate``) starts the UI. Only :mod:`.cli` is imported by ``capacity`` itself:
everything else imports Dagster, which the core install does not have.
"""
