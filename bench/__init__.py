"""The benchmark, run as ``python -m bench`` (``make benchmark``; see docs/performance.md).

Not product code: it imports the apps, and no app imports it (tests/test_layout.py).

- ``__main__``: the entry point; it creates the benchmark database and runs the rest in a
  child process whose database is that one.
- ``database``: a separate benchmark database on PostgreSQL, never the development one.
- ``data``: synthetic places, rounds, invitations, responses and ratings, written by COPY.
- ``measure``: server time and queries of report pages, the aggregation beside raw SQL,
  the partner's save under load (wrk against gunicorn) and the memory of a CSV export.
- ``settings``, ``urls``, ``views``: the stack gunicorn runs for the load test, with two
  floors (a trivial view and a minimal save) that production never routes.
"""
