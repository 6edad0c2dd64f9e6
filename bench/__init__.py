"""The benchmark behind ``manage.py benchmark`` (see docs/performance.md).

- ``database``: a separate benchmark database on PostgreSQL, never the development one.
- ``data``: synthetic places, rounds, invitations, responses and ratings, written by COPY.
- ``measure``: server time and queries of report pages, the aggregation beside raw SQL,
  the partner's save under load (wrk against gunicorn) and the memory of a CSV export.
- ``settings``, ``urls``, ``views``: the stack gunicorn runs for the load test, with two
  floors (a trivial view and a minimal save) that production never routes.
"""
