"""``backfill_appointment_attribution``: fill NULL appointment attribution from the providers.

Appointments stored before attribution existed have NULL "ghlCalendarId" /
"calendlyEventTypeUri", which makes them count as unattributed in the capacity
figures. This package looks each one up at its provider and writes the calendar
identifier, safely: dry run by default, only NULLs filled, nothing else touched,
resumable after a kill. Modules:

- :mod:`~capacity.backfill.runner`: the batch loop and the SQL (what is selected, what
  is written and why);
- :mod:`~capacity.backfill.checkpoint`: where a run resumes;
- :mod:`~capacity.backfill.providers`: GoHighLevel and Calendly lookups;
- :mod:`~capacity.backfill.http`: rate limits, retries, timeouts;
- :mod:`~capacity.backfill.db`: one code path for PostgreSQL and DuckDB;
- :mod:`~capacity.backfill.summary` and :mod:`~capacity.backfill.progress`: reporting;
- :mod:`~capacity.backfill.secret`: keeps tokens out of everything printable.

The command line is ``capacity backfill`` (:mod:`capacity.backfill_cli`).
"""

from capacity.backfill.runner import BackfillAborted, BackfillOptions, Filters, run_backfill

__all__ = ["BackfillAborted", "BackfillOptions", "Filters", "run_backfill"]
