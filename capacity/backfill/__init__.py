"""``backfill_appointment_attribution``: fill missing appointment attribution from the providers.

Appointments stored before attribution existed have a missing "ghlCalendarId" /
"calendlyEventTypeUri" (NULL, '' or whitespace), which makes them count as
unattributed in the capacity figures. This package looks each one up at its provider
and writes the calendar identifier, safely: dry run by default, only missing values
filled and only while the row is as it was read, nothing else touched, every write
recorded and revertible, resumable after a kill. Modules:

- :mod:`~capacity.backfill.runner`: the batch loop and the SQL (what is selected, what
  is written and why);
- :mod:`~capacity.backfill.validation`: what a reference, token or answer must look like;
- :mod:`~capacity.backfill.ledger`: the audit trail, the quarantine and ``--revert``;
- :mod:`~capacity.backfill.checkpoint`: where a run resumes;
- :mod:`~capacity.backfill.providers`: GoHighLevel and Calendly lookups;
- :mod:`~capacity.backfill.http`: concurrency, rate limits, retries, timeouts;
- :mod:`~capacity.backfill.db`: one code path for PostgreSQL and DuckDB;
- :mod:`~capacity.backfill.summary` and :mod:`~capacity.backfill.status_line`: reporting;
- :mod:`~capacity.backfill.secret`: keeps tokens out of everything printable.

The command line is ``capacity backfill`` (:mod:`capacity.backfill.cli`).
"""
