"""The mart's consumers: the Insights Chat snapshot and the "Capacity (30d)" KPI card.

Both read the built marts of a dbt target and nothing else.
"""
