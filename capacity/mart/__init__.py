"""The dbt project's runs (build, seeds, the demo's history) and the built mart's tables."""
