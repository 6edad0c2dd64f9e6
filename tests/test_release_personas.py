"""Releases and round comparisons, persona by persona, across every reports URL and export.

The world: round 1 of Northbridge (closed, so it has its final release) and round 2 (open,
an interim release of six respondents, then one late submission nobody has released).
Personas: the facilitator (the round anonymous, or attributed), a steering member of
round 2 only, a steering member of both rounds, a partner of round 2 (arrived by their
link), and an outsider (a facilitator of another place).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from reports.models import Release
from reports.releases import release_publish
from surveys.diagnostics import diagnostic_close
from surveys.invitations import invitation_token
from surveys.models import Diagnostic
from tests.factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_response,
    make_system,
    make_user,
)

CODES = "ABCDEFGHI"
PERSONAS = ("facilitator", "steering_this", "steering_both", "partner", "outsider")


def add(diagnostic, system, n: int, sector: str, *, name: str = "") -> None:
    organisation = make_organisation(diagnostic.place, sector, name=name or None)
    for i in range(n):
        make_response(
            diagnostic,
            system,
            {code: (i + j) % 5 + 1 for j, code in enumerate(CODES)},
            organisation=organisation,
            evidence={"A": f"Example {sector} {i}"},
        )


@pytest.fixture(params=["anonymous", "attributed"])
def world(request, framework):
    fran, sam, bea, olly = make_user("fran"), make_user("sam"), make_user("bea"), make_user("olly")
    place = make_place("Northbridge", facilitators=[fran])
    make_place("Elsewhere", facilitators=[olly])
    housing = make_system(place, "Homelessness")
    round1 = make_diagnostic(place, framework, systems=[housing], min_group_size=3, title="Round 1")
    Diagnostic.objects.filter(pk=round1.pk).update(created_at=round1.created_at.replace(year=2020))
    round1.refresh_from_db()
    add(round1, housing, 6, "public")
    diagnostic_close(diagnostic=round1, actor=fran)
    round2 = make_diagnostic(
        place,
        framework,
        systems=[housing],
        min_group_size=3,
        title="Round 2",
        attribution=request.param,
    )
    round2.steering_members.add(sam, bea)
    round1.steering_members.add(bea)
    add(round2, housing, 3, "public")
    add(round2, housing, 3, "voluntary")
    release_publish(diagnostic=round2, kind=Release.Kind.INTERIM, actor=fran)
    add(round2, housing, 1, "private", name="Late Ltd")  # after the release
    invitation = make_invitation(round2, name="Pat Partner", email="pat@example.org")
    clients = {}
    for persona, user in (
        ("facilitator", fran),
        ("steering_this", sam),
        ("steering_both", bea),
        ("outsider", olly),
    ):
        clients[persona] = Client()
        clients[persona].force_login(user)
    clients["partner"] = Client()
    assert clients["partner"].get(f"/i/{invitation_token(invitation)}/").status_code == 302
    return {"mode": request.param, "round2": round2, "housing": housing, "clients": clients}


def report_urls(world) -> dict[str, str]:
    slug, system = world["round2"].slug, world["housing"].slug
    export = lambda fmt, q="": reverse("reports:export", args=[slug, fmt]) + q  # noqa: E731
    return {
        "report": reverse("reports:diagnostic", args=[slug]),
        "rounds chart": reverse("reports:diagnostic", args=[slug])
        + f"?view=rounds&system={system}",
        "system": reverse("reports:system", args=[slug, system]),
        "pdf": reverse("reports:pdf", args=[slug]),
        "json": export("json"),
        "csv": export("csv"),
        "xlsx": export("xlsx"),
        "summary csv": export("csv", "?kind=summary"),
        "summary xlsx": export("xlsx", "?kind=summary"),
        "live json": export("json", "?release=live"),
        "evidence": reverse("reports:evidence", args=[slug]) + f"?system={system}",
    }


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("persona", ["partner", "outsider"])
def test_partners_and_outsiders_fetch_nothing(world, persona):
    client = world["clients"][persona]
    for name, url in report_urls(world).items():
        response = client.get(url)
        if persona == "partner":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 404, name
    publish = reverse("reports:release_publish", args=[world["round2"].slug])
    assert client.post(publish).status_code in (302, 404)
    assert world["round2"].releases.count() == 1
    if persona == "outsider":
        assert "Round 2" not in client.get(reverse("reports:index")).content.decode()


@pytest.mark.parametrize("persona", ["steering_this", "steering_both"])
def test_steering_members_see_only_the_release_and_the_rounds_they_read(world, persona):
    client = world["clients"][persona]
    urls = report_urls(world)
    for name, url in urls.items():
        expected = 404 if name == "evidence" else 200
        assert client.get(url).status_code == expected, name

    for name in ("json", "live json"):
        data = json.loads(body(client.get(urls[name])))
        assert data["release"]["number"] == 1 and data["release"]["kind"] == "interim"
        assert data["systems"][0]["respondents"] == 6  # not the late submission
        assert data["previous_round"] == ("Round 1" if persona == "steering_both" else None)
    rows = list(csv.reader(io.StringIO(body(client.get(urls["csv"])).decode("utf-8-sig"))))
    assert rows[0][:5] == ["system", "code", "title", "breakdown", "group"]  # the summary
    assert "Late Ltd" not in str(rows) and "private" not in {row[4] for row in rows if row[5]}
    page = client.get(urls["rounds chart"]).content.decode()
    assert ("Round 1" in page) == (persona == "steering_both")
    assert ("Previous round" in page) == (persona == "steering_both")
    assert "Interim release 1" in page and "Live figures" not in page
    names = client.get(urls["csv"] + "?include_names=1")
    assert b"Pat Partner" not in body(names) and b"respondent" not in body(names)
    publish = reverse("reports:release_publish", args=[world["round2"].slug])
    assert client.post(publish).status_code == 404


def test_the_facilitator_sees_what_the_mode_allows(world):
    client = world["clients"]["facilitator"]
    urls = report_urls(world)
    attributed = world["mode"] == "attributed"
    for name, url in urls.items():
        assert client.get(url).status_code == 200, name

    data = json.loads(body(client.get(urls["json"])))
    assert data["previous_round"] == "Round 1"  # facilitators read every round of the place
    if attributed:
        assert data["release"] is None and data["systems"][0]["respondents"] == 7
    else:
        assert data["release"]["number"] == 1 and data["systems"][0]["respondents"] == 6
    live = json.loads(body(client.get(urls["live json"])))
    assert live["systems"][0]["respondents"] == (7 if attributed else 6)
    released = json.loads(body(client.get(urls["json"] + "?release=1")))
    assert released["systems"][0]["respondents"] == 6

    rows = list(csv.reader(io.StringIO(body(client.get(urls["csv"])).decode("utf-8-sig"))))
    assert len(rows) == 1 + (7 if attributed else 6) * len(CODES)
    # One private-sector respondent (live, attributed only): never named beside an answer.
    sectors = {row[3] for row in rows[1:]}
    assert sectors == ({"public", "voluntary", ""} if attributed else {"public", "voluntary"})
    workbook = load_workbook(io.BytesIO(body(client.get(urls["xlsx"]))))
    assert workbook["Ratings"].max_row == len(rows)

    names = client.get(urls["csv"] + "?include_names=1")
    if attributed:
        assert names.status_code == 200 and b"Late Ltd" in body(names)
    else:
        assert names.status_code == 404

    evidence = client.get(urls["evidence"]).content.decode()
    assert "Example public 0" in evidence
    assert ("Example private 0" in evidence) == attributed
