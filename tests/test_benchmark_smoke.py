"""``python -m bench`` at a tiny size: its data generator and every measurement (pages,
aggregation beside SQL, wrk against gunicorn, the export's memory) run end to end and
give sane figures. The real run takes minutes and is not part of the suite (see
docs/performance.md)."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection

from bench import data, run
from bench import email as email_bench
from bench.__main__ import main
from surveys.models import Diagnostic, Rating, Response

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TINY = data.Scale(places=2, first_place_respondents=6, respondents=5, city_respondents=12)


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("The benchmark runs on PostgreSQL: run this with DATABASE_URL=postgres://...")


def test_the_generator_builds_places_rounds_and_ratings_at_the_size_asked(framework, settings):
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    data.generate(TINY, secret_key=settings.SECRET_KEY)
    data.generate(TINY, secret_key=settings.SECRET_KEY)  # idempotent per size

    assert data.places_count() == 2
    city = Diagnostic.objects.get(slug=data.CITY_SLUG)
    assert city.responses.count() == 12
    # Place 1: 6 people x 4 systems; place 2: 5 x 4; City: 12 x 1; nine ratings each.
    assert Response.objects.count() == 6 * 4 + 5 * 4 + 12
    assert Rating.objects.count() == 9 * Response.objects.count()
    assert Response.objects.exclude(status=Response.Status.SUBMITTED).count() == 0
    workshop = data.workshop(settings.SECRET_KEY)
    assert len(workshop.invitations) == 6
    assert Diagnostic.objects.get(slug=workshop.diagnostic_slug).is_open


def test_every_measurement_runs_end_to_end_and_reports_the_targets(framework, settings):
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    lines: list[str] = []
    options = run.Options(
        sizes={"tiny": TINY},
        requests=2,
        load_seconds=1,
        warmup_seconds=1,
        connections=4,
        repeat=1,
        workers=2,
        workshop_phones=6,
        workshop_seconds=4,
        email=email_bench.Sizes(queue=50, fast=100, slow=10, slow_delay=0.05),
    )

    verdicts = run.run(options, lines.append)

    output = "\n".join(lines)
    assert "== tiny: 2 place(s) and City" in output
    assert "report, City (1 system x 1,000)" in output
    assert "SQL GROUP BY floor" in output
    assert "bytes transferred" in output and "vendor/plotly/plotly.min.js" in output
    assert [v for v in verdicts if "KB transferred" in v]
    assert 'trivial view "ok" (floor a)' in output
    assert "every rating, national (streamed CSV)" in output
    assert "answers stored: 6 of 6 phones" in output
    assert "queuing 50 invitations (the POST)" in output
    assert "[met] every queued message delivered once" in output
    # Every page answered and made queries; the saves really updated rows, without errors.
    assert all("queries of" not in v or "[met]" in v for v in verdicts), verdicts
    assert not [v for v in verdicts if v.endswith(" errors") and "[met]" not in v], verdicts
    assert not [v for v in verdicts if "MB peak" in v and "[met]" not in v], verdicts
    # Every figure was measured (people typing pause 1-3 s: too slow for a 1 s run).
    assert not [line for line in lines if " 0 ms " in line and "typing" not in line]


def test_the_measurements_refuse_any_database_but_a_benchmark_one(capsys):
    assert main(["--inside", "--sizes", "place"]) == 1

    error = capsys.readouterr().err
    assert f"Refusing to write benchmark data into {connection.settings_dict['NAME']!r}" in error
