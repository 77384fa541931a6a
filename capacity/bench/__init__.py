"""Performance at scale: a seeded data generator, two baselines and a benchmark runner.

- :mod:`capacity.bench.generator` makes SPEC §2 rows for N workspaces, one batch of
  workspaces at a time, deterministic for a seed.
- :mod:`capacity.bench.loaders` writes those batches to DuckDB (a file) and PostgreSQL
  (the SPEC DDL, COPY).
- :mod:`capacity.bench.floor` is the hand-written SQL (the practical floor per engine),
  :mod:`capacity.bench.naive` the app's old Python loop; both give
  :class:`capacity.bench.figures.Figures`, as does the dbt mart.
- :mod:`capacity.bench.runner` times dbt, the floor and the naive loop in subprocesses
  (wall time and peak RSS from ``wait4``), checks all three agree, and
  :mod:`capacity.bench.markdown` writes the table into BENCHMARKS.md.
"""
