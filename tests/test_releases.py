"""Results are released, not live: interim and final releases, the differencing rule,
what each reader sees, round comparisons from final releases, and the raw evidence."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.models import Release
from reports.releases import ReleaseRefused, release_publish
from surveys.models import AuditEvent, Diagnostic, Organisation, Rating, Response
from tests.factories import (
    make_diagnostic,
    make_organisation,
    make_place,
    make_response,
    make_system,
    make_user,
)

CODES = "ABCDEFGHI"


def answers(i: int) -> dict[str, int | None]:
    return {code: (i + n) % 5 + 1 for n, code in enumerate(CODES)}


class Round:
    """A round with helpers to add respondents of a sector and role."""

    def __init__(self, diagnostic: Diagnostic, system):
        self.diagnostic, self.system = diagnostic, system
        self.organisations: dict[str, Organisation] = {}
        self.count = 0

    def add(self, n: int, sector: str = "public", role: str = "manager", evidence: str = ""):
        if sector not in self.organisations:
            self.organisations[sector] = make_organisation(self.diagnostic.place, sector)
        made = []
        for _ in range(n):
            self.count += 1
            made.append(
                make_response(
                    self.diagnostic,
                    self.system,
                    answers(self.count),
                    organisation=self.organisations[sector],
                    role=role,
                    evidence={"A": evidence} if evidence else None,
                )
            )
        return made

    def publish(self, kind: str = Release.Kind.INTERIM) -> Release:
        return release_publish(diagnostic=self.diagnostic, kind=kind, actor=None)


@pytest.fixture
def world(framework):
    fran, sam, outsider = make_user("fran"), make_user("sam"), make_user("olly")
    place = make_place("Northbridge", facilitators=[fran])
    make_place("Elsewhere", facilitators=[outsider])
    housing = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(
        place, framework, systems=[housing], min_group_size=3, title="Round 2"
    )
    diagnostic.steering_members.add(sam)
    return {
        "fran": fran,
        "sam": sam,
        "outsider": outsider,
        "place": place,
        "housing": housing,
        "diagnostic": diagnostic,
        "round": Round(diagnostic, housing),
    }


def page(client, name: str, diagnostic, *args, query: str = "") -> str:
    response = client.get(reverse(name, args=[diagnostic.slug, *args]) + query)
    assert response.status_code == 200, response.status_code
    # The sign-out form's CSRF token changes on every request: it is not a figure.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def download(client, diagnostic, fmt: str, query: str = "") -> bytes:
    response = client.get(reverse("reports:export", args=[diagnostic.slug, fmt]) + query)
    assert response.status_code == 200, response.status_code
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def everything_steering_can_fetch(client, world) -> list:
    d, housing = world["diagnostic"], world["housing"]
    return [
        page(client, "reports:diagnostic", d),
        page(client, "reports:system", d, housing.slug),
        page(client, "reports:diagnostic", d, query="?view=sectors&system=" + housing.slug),
        download(client, d, "json"),
        download(client, d, "csv"),
        [list(r) for r in load_workbook(io.BytesIO(download(client, d, "xlsx"))).active.values],
    ]


# --- releases freeze the figures -------------------------------------------------------


def test_between_releases_nothing_a_steering_member_can_fetch_changes(client, world):
    r = world["round"]
    first = r.add(3, "public")
    r.add(3, "voluntary")
    r.publish()
    client.force_login(world["sam"])
    before = everything_steering_can_fetch(client, world)

    r.add(1, "private")  # a late submission
    Rating.objects.filter(response=first[0], precondition__code="A").update(score=1)  # an edit
    first[1].delete()  # a withdrawal

    assert everything_steering_can_fetch(client, world) == before
    assert json.loads(before[3])["systems"][0]["respondents"] == 6


def test_before_any_release_a_steering_member_sees_no_figures(client, world):
    world["round"].add(6)
    client.force_login(world["sam"])
    d = world["diagnostic"]

    text = page(client, "reports:diagnostic", d)
    assert "No results have been released yet" in text
    assert "Median" not in text
    for url in (
        reverse("reports:pdf", args=[d.slug]),
        reverse("reports:export", args=[d.slug, "json"]),
        reverse("reports:export", args=[d.slug, "csv"]),
    ):
        assert client.get(url).status_code == 404, url


def test_an_interim_release_is_marked_with_its_date_and_numbers_everywhere(client, world):
    r = world["round"]
    r.add(6)
    release = r.publish()
    client.force_login(world["sam"])
    d = world["diagnostic"]
    label = release.label
    assert label.startswith("Interim release 1, ") and label.endswith("6 respondents")

    assert label in page(client, "reports:diagnostic", d)
    assert label in page(client, "reports:system", d, world["housing"].slug)
    data = json.loads(download(client, d, "json"))
    assert data["release"]["kind"] == "interim" and data["release"]["respondents"] == 6
    assert data["release"]["published_at"] == release.published_at.isoformat()
    rows = list(csv.reader(io.StringIO(download(client, d, "csv").decode("utf-8-sig"))))
    assert rows[0][-1] == "release" and {row[-1] for row in rows[1:]} == {label}
    workbook = load_workbook(io.BytesIO(download(client, d, "xlsx")))
    assert next(workbook["Summary"].values)[0].startswith(label)
    pdf = client.get(reverse("reports:pdf", args=[d.slug]))
    assert "interim-1" in pdf["Content-Disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Interim release 1" in " ".join(text.split())


def test_a_steering_member_sees_the_latest_release_and_can_open_earlier_ones(client, world):
    r = world["round"]
    r.add(3)
    r.publish()
    r.add(3, "voluntary", "frontline")
    r.publish()
    client.force_login(world["sam"])
    d = world["diagnostic"]

    assert json.loads(download(client, d, "json"))["release"]["number"] == 2
    assert json.loads(download(client, d, "json", "?release=1"))["release"]["number"] == 1
    listing = page(client, "reports:diagnostic", d)
    assert "?release=1" in listing and "Interim release 1" in listing
    assert "?release=live" not in listing
    # Live figures are not a steering member's to ask for.
    assert json.loads(download(client, d, "json", "?release=live"))["release"]["number"] == 2


# --- who sees live figures ----------------------------------------------------------------


def test_facilitators_of_an_anonymous_round_see_only_released_figures(client, world):
    r = world["round"]
    r.add(3)
    r.publish()
    r.add(1, "private")
    client.force_login(world["fran"])
    d = world["diagnostic"]

    for query in ("", "?release=live"):
        data = json.loads(download(client, d, "json", query))
        assert data["release"]["number"] == 1
        assert data["systems"][0]["respondents"] == 3
    assert "?release=live" not in page(client, "reports:diagnostic", d)
    names = client.get(reverse("reports:export", args=[d.slug, "xlsx"]) + "?include_names=1")
    assert names.status_code == 404


def test_facilitators_of_an_attributed_round_may_see_live_figures(client, world):
    d = world["diagnostic"]
    d.attribution = Diagnostic.Attribution.ATTRIBUTED
    d.save()
    r = world["round"]
    r.add(3)
    r.publish()
    r.add(1, "private")
    client.force_login(world["fran"])

    live = json.loads(download(client, d, "json"))
    assert live["release"] is None and live["systems"][0]["respondents"] == 4
    assert "Live figures, not released" in page(client, "reports:diagnostic", d)
    assert json.loads(download(client, d, "json", "?release=1"))["release"]["number"] == 1
    # The steering group still sees only the release.
    client.force_login(world["sam"])
    assert json.loads(download(client, d, "json"))["systems"][0]["respondents"] == 3


# --- the differencing rule ----------------------------------------------------------------


def test_an_interim_release_is_refused_until_k_more_people_have_answered(client, world):
    r = world["round"]
    r.add(6)
    r.publish()
    r.add(1, "public")

    with pytest.raises(ReleaseRefused) as refused:
        r.publish()
    assert "Homelessness, all respondents: the answers of 1 respondent changed since " in str(
        refused.value
    )
    assert "at least 2 more responses" in str(refused.value)

    r.add(2, "public")
    assert r.publish().number == 2


@pytest.mark.parametrize("change", ["edit", "withdraw"])
def test_one_persons_edit_or_withdrawal_blocks_an_interim_release(world, change):
    r = world["round"]
    people = r.add(6)
    r.publish()
    if change == "edit":
        Rating.objects.filter(response=people[0], precondition__code="B").update(score=5)
    else:
        people[0].delete()

    with pytest.raises(ReleaseRefused, match="the answers of 1 respondent changed"):
        r.publish()


def test_a_small_group_inside_a_large_change_blocks_an_interim_release(world):
    r = world["round"]
    r.add(3, "public")
    r.add(3, "voluntary")
    r.publish()
    r.add(3, "public")
    r.add(1, "voluntary", "frontline")  # 4 new people, but 1 new voluntary

    with pytest.raises(ReleaseRefused) as refused:
        r.publish()
    text = str(refused.value)
    assert "Voluntary and community sector (VCSE): the answers of 1 respondent" in text
    # The one frontline worker hides the by-role breakdown (with the managers, so the
    # total minus the managers does not show them), so roles are not compared.
    assert "Frontline" not in text
    assert "all respondents" not in text


def test_the_publish_button_says_why_a_release_is_refused(client, world):
    r = world["round"]
    r.add(6)
    r.publish()
    r.add(1)
    client.force_login(world["fran"])
    d = world["diagnostic"]

    response = client.post(reverse("reports:release_publish", args=[d.slug]), follow=True)
    text = response.content.decode()
    assert "The interim release was not published" in text
    assert "at least 2 more responses" in text
    assert d.releases.count() == 1


def test_an_interim_release_needs_an_open_round_and_something_new(world):
    r = world["round"]
    r.add(6)
    r.publish()
    with pytest.raises(ReleaseRefused, match="Nothing has changed since release 1"):
        r.publish()
    Diagnostic.objects.filter(pk=r.diagnostic.pk).update(status=Diagnostic.Status.DRAFT)
    with pytest.raises(ReleaseRefused, match="only be published while the round is open"):
        r.publish()


def test_closing_the_round_makes_the_final_release(client, world):
    r = world["round"]
    r.add(6)
    client.force_login(world["fran"])
    d = world["diagnostic"]

    client.post(reverse("surveys:diagnostic_close", args=[d.slug]))

    release = d.releases.get()
    assert (release.kind, release.number, release.published_by) == ("final", 1, world["fran"])
    event = AuditEvent.objects.get(diagnostic=d, action=AuditEvent.Action.RELEASED)
    assert event.detail == {"number": 1, "kind": "final", "respondents": 6, "hidden": 0}
    client.force_login(world["sam"])
    assert "Final release 1" in page(client, "reports:diagnostic", d)


def test_the_final_release_hides_the_groups_that_broke_the_rule_and_says_why(client, world):
    r = world["round"]
    r.add(3, "public")
    r.add(3, "voluntary")
    r.publish()
    r.add(3, "public")
    r.add(1, "voluntary", "frontline")
    client.force_login(world["fran"])
    d = world["diagnostic"]

    client.post(reverse("surveys:diagnostic_close", args=[d.slug]))

    final = d.releases.get(number=2)
    assert final.kind == "final" and len(final.hidden) == 1
    assert "breakdown by sector is hidden" in final.hidden[0]
    client.force_login(world["sam"])
    data = json.loads(download(client, d, "json"))
    assert data["release"]["hidden_by_rule"] == final.hidden
    a = data["systems"][0]["preconditions"][0]
    assert a["n"] == 10
    assert all(value is None for value in a["by_sector"].values())
    assert "breakdown by sector is hidden" in page(client, "reports:diagnostic", d)
    # The earlier release is still there, unchanged.
    first = json.loads(download(client, d, "json", "?release=1"))
    assert first["systems"][0]["preconditions"][0]["by_sector"]["voluntary"]["n"] == 3


def test_the_final_release_hides_a_system_whose_total_broke_the_rule(world):
    r = world["round"]
    r.add(6)
    r.publish()
    r.add(1)

    final = r.publish(Release.Kind.FINAL)

    assert final.summary["systems"][0]["suppressed"] is True
    assert final.summary["systems"][0]["preconditions"][0]["overall"] is None
    assert "Homelessness: hidden in this release" in final.hidden[0]


# --- comparing rounds -------------------------------------------------------------------


@pytest.fixture
def two_rounds(world, framework):
    """Round 1 (earlier, 6 people, k=3) and round 2 (world's, 6 people, released)."""
    earlier = make_diagnostic(
        world["place"], framework, systems=[world["housing"]], min_group_size=3, title="Round 1"
    )
    Diagnostic.objects.filter(pk=earlier.pk).update(
        created_at=earlier.created_at.replace(year=2020)
    )
    earlier.refresh_from_db()
    first = Round(earlier, world["housing"])
    first.add(6)
    world["round"].add(6)
    world["earlier"], world["first"] = earlier, first
    return world


def close(diagnostic) -> None:
    from surveys.diagnostics import diagnostic_close

    diagnostic_close(diagnostic=diagnostic, actor=None)


def test_an_open_earlier_round_is_never_compared(client, two_rounds):
    w = two_rounds
    w["first"].publish()  # an interim release of the open earlier round: not comparable
    w["round"].publish()
    client.force_login(w["fran"])

    assert json.loads(download(client, w["diagnostic"], "json"))["previous_round"] is None

    close(w["earlier"])
    assert json.loads(download(client, w["diagnostic"], "json"))["previous_round"] == "Round 1"


def test_only_readers_of_both_rounds_see_the_previous_round(client, two_rounds):
    w = two_rounds
    close(w["earlier"])
    w["round"].publish()
    d = w["diagnostic"]
    client.force_login(w["sam"])  # steering member of round 2 only

    assert json.loads(download(client, d, "json"))["previous_round"] is None
    text = page(client, "reports:diagnostic", d)
    assert "Round 1" not in text and "previous one" not in text
    rounds = page(client, "reports:diagnostic", d, query="?view=rounds")
    assert "Previous round" not in rounds

    w["earlier"].steering_members.add(w["sam"])
    assert json.loads(download(client, d, "json"))["previous_round"] == "Round 1"
    text = page(client, "reports:diagnostic", d, query="?view=rounds")
    assert "Compared with the previous round" in text and "Previous round" in text


def test_a_group_hidden_in_either_round_stays_hidden_in_the_comparison(client, world, framework):
    """The issue's case: round 1 with k=10 hid a system of 6 people; round 2 with k=3 must
    not show round 1's figures for it."""
    earlier = make_diagnostic(
        world["place"], framework, systems=[world["housing"]], min_group_size=10, title="Round 1"
    )
    Diagnostic.objects.filter(pk=earlier.pk).update(
        created_at=earlier.created_at.replace(year=2020)
    )
    earlier.refresh_from_db()
    Round(earlier, world["housing"]).add(6)
    close(earlier)
    world["round"].add(6)
    world["round"].publish()
    client.force_login(world["fran"])

    data = json.loads(download(client, world["diagnostic"], "json"))
    assert data["previous_round"] is None
    assert "Previous round" not in page(
        client, "reports:diagnostic", world["diagnostic"], query="?view=rounds"
    )


def test_rounds_are_compared_from_the_frozen_final_release(client, two_rounds):
    w = two_rounds
    close(w["earlier"])
    w["round"].publish()
    client.force_login(w["fran"])
    before = download(client, w["diagnostic"], "json")
    # Round 1's ratings change after its close (an import, a data fix): not its release.
    Rating.objects.filter(response__diagnostic=w["earlier"]).update(score=1)

    assert download(client, w["diagnostic"], "json") == before


# --- the raw evidence -------------------------------------------------------------------


def test_the_raw_evidence_comes_from_the_release_and_names_only_groups_of_k(client, world):
    r = world["round"]
    r.add(3, "public", evidence="Shared hostel data")
    r.add(1, "citizen", "service_user", evidence="They listened to me")
    r.publish()
    r.add(1, "private", evidence="Written after the release")
    client.force_login(world["fran"])
    d = world["diagnostic"]

    text = page(client, "reports:evidence", d, query=f"?system={world['housing'].slug}")
    assert "Shared hostel data" in text and "They listened to me" in text
    assert "Written after the release" not in text
    assert "Public sector" in text  # three public-sector respondents: named
    assert "Citizen or service user" not in text and "Service user" not in text
    assert "Not shown (a small group)" in text
    event = AuditEvent.objects.get(action=AuditEvent.Action.EVIDENCE_READ)
    assert event.detail["release"] == "1" and "hostel" not in str(event.detail)


def test_the_raw_evidence_is_for_facilitators_only(client, world):
    world["round"].add(3, evidence="x")
    world["round"].publish()
    d = world["diagnostic"]
    for user in (world["sam"], world["outsider"]):
        client.force_login(user)
        assert client.get(reverse("reports:evidence", args=[d.slug])).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EVIDENCE_READ).exists()


def test_the_old_evidence_url_is_gone(client, world):
    client.force_login(world["fran"])
    assert client.get(f"/d/{world['diagnostic'].slug}/evidence/").status_code == 404


# --- row by row ---------------------------------------------------------------------------


def test_row_by_row_files_of_an_anonymous_round_come_from_the_release(client, world):
    r = world["round"]
    r.add(3, "public")
    r.add(1, "citizen", "service_user")
    r.publish()
    r.add(1, "private")
    client.force_login(world["fran"])
    d = world["diagnostic"]

    text = download(client, d, "csv").decode("utf-8-sig")
    rows = [line.split(",") for line in text.splitlines()[1:]]
    assert len(rows) == 4 * 9
    assert {row[3] for row in rows} == {"public", ""}  # the one citizen is not named
    assert {row[4] for row in rows} == {"manager", ""}
    assert "respondent" not in text.splitlines()[0]
    workbook = load_workbook(io.BytesIO(download(client, d, "xlsx")))
    assert workbook["Ratings"].max_row == 1 + 4 * 9


def test_the_names_export_exists_only_in_the_attributed_mode(client, world):
    world["round"].add(3)
    world["round"].publish()
    client.force_login(world["fran"])
    d = world["diagnostic"]
    url = reverse("reports:export", args=[d.slug, "csv"]) + "?include_names=1"

    assert client.get(url).status_code == 404
    assert "include_names" not in page(client, "reports:diagnostic", d)
    d.attribution = Diagnostic.Attribution.ATTRIBUTED
    d.save()
    text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].endswith("respondent,organisation")


# --- queries ----------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def test_report_queries_stay_constant_with_releases_and_comparisons(client, two_rounds):
    w = two_rounds
    close(w["earlier"])
    w["round"].publish()
    d, housing = w["diagnostic"], w["housing"]
    w["earlier"].steering_members.add(w["sam"])
    urls = [
        reverse("reports:diagnostic", args=[d.slug]),
        reverse("reports:system", args=[d.slug, housing.slug]),
        reverse("reports:export", args=[d.slug, "json"]),
        reverse("reports:export", args=[d.slug, "csv"]),
        reverse("reports:evidence", args=[d.slug]) + f"?system={housing.slug}",
    ]
    client.force_login(w["fran"])
    small = [count_queries(client, url) for url in urls]
    w["round"].add(30, "voluntary")
    w["round"].publish()
    for _ in range(3):
        w["round"].add(3, "private")
        w["round"].publish()
    assert [count_queries(client, url) for url in urls] == small
    client.force_login(w["sam"])
    assert count_queries(client, urls[0]) <= small[0] + 1  # the steering membership check


def test_a_release_holds_no_names(world):
    r = world["round"]
    r.add(3)
    release = r.publish()
    text = json.dumps([release.summary, release.rows, release.contributions, release.respondents])
    for response in Response.objects.select_related("organisation"):
        assert response.organisation.name not in text


def test_a_comparison_needs_the_larger_of_the_two_rounds_k_in_both(client, world, framework):
    earlier = make_diagnostic(
        world["place"], framework, systems=[world["housing"]], min_group_size=3, title="Round 1"
    )
    Diagnostic.objects.filter(pk=earlier.pk).update(
        created_at=earlier.created_at.replace(year=2020)
    )
    earlier.refresh_from_db()
    Round(earlier, world["housing"]).add(4)  # shown in round 1, where k is 3
    close(earlier)
    Diagnostic.objects.filter(pk=world["diagnostic"].pk).update(min_group_size=5)
    world["diagnostic"].refresh_from_db()
    world["round"].add(6)
    world["round"].publish()
    client.force_login(world["fran"])

    data = json.loads(download(client, world["diagnostic"], "json"))
    assert data["systems"][0]["preconditions"][0]["n"] == 6
    assert data["previous_round"] is None  # 4 people then: fewer than this round's k of 5


def test_the_index_says_which_release_each_round_has(client, world):
    client.force_login(world["sam"])
    assert "Not released yet" in client.get(reverse("reports:index")).content.decode()
    world["round"].add(3)
    world["round"].publish()
    assert "Interim release 1" in client.get(reverse("reports:index")).content.decode()
