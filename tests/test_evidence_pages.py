"""Evidence at scale (reports/evidence.py): the report pages show the first few excerpts
per pre-condition and link to a paginated, searchable page of all of them, which follows
releases and the round's confidentiality like the report."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.evidence import (
    EVIDENCE_PAGE_SIZE,
    REPORT_EXCERPTS,
    clean_query,
    evidence_page,
    evidence_previews,
    page_links,
)
from reports.models import Release
from reports.releases import release_publish
from surveys.models import Diagnostic
from tests.factories import (
    make_organisation,
    make_precondition_summary,
    make_report_personas,
    make_response,
    make_stats,
    make_system_summary,
)

# --- the rules, on hand-built summaries ---------------------------------------------------


def system_with(evidence: dict[str, list[str]]):
    overrides = {
        code: make_precondition_summary(code, make_stats(3.0), evidence=texts)
        for code, texts in evidence.items()
    }
    return make_system_summary(overrides=overrides)


def test_a_preview_holds_the_first_three_excerpts_and_counts_the_rest():
    system = system_with({"A": [f"excerpt {i:02}" for i in range(10)], "C": ["only one"]})
    previews = evidence_previews(system)
    assert [p.precondition.code for p in previews] == ["A", "C"]  # none for codes without
    assert REPORT_EXCERPTS == 3
    assert previews[0].excerpts == ["excerpt 00", "excerpt 01", "excerpt 02"]
    assert (previews[0].total, previews[0].more) == (10, 7)
    assert (previews[1].excerpts, previews[1].more) == (["only one"], 0)
    assert len(evidence_previews(system, include_empty=True)) == 9


def test_the_search_needs_every_word_in_any_order_and_any_case():
    system = system_with(
        {
            "A": ["Hostels share DATA weekly", "data is not shared", "Hostels are full"],
            "B": ["We share data with hostels"],
        }
    )
    found = evidence_page(system, query="data hostels")
    assert [(e.code, e.text) for e in found.page.object_list] == [
        ("A", "Hostels share DATA weekly"),
        ("B", "We share data with hostels"),
    ]
    assert (found.matches, found.total) == (2, 4)
    only_b = evidence_page(system, code="B", query="data hostels")
    assert [e.code for e in only_b.page.object_list] == ["B"] and only_b.total == 1
    assert evidence_page(system, code="Z").code is None  # an unknown code means all


def test_pages_hold_fifty_and_a_page_out_of_range_gives_the_last():
    system = system_with({"A": [f"a {i:03}" for i in range(120)], "B": ["b"]})
    first = evidence_page(system)
    assert EVIDENCE_PAGE_SIZE == 50
    assert len(first.page.object_list) == 50 and first.page.paginator.num_pages == 3
    last = evidence_page(system, page_number="99")
    assert last.page.number == 3 and [e.text for e in last.page.object_list][-1] == "b"
    assert evidence_page(system, page_number="nonsense").page.number == 1


def test_queries_are_trimmed_and_cut_short():
    assert clean_query("  hostels \n  data ") == "hostels data"
    assert len(clean_query("x" * 1000)) == 200
    assert clean_query(None) == ""


def test_page_links_keep_the_ends_and_the_neighbours():
    system = system_with({"A": [str(i) for i in range(500)]})
    assert page_links(evidence_page(system, page_number=5).page) == [1, None, 4, 5, 6, None, 10]
    assert page_links(evidence_page(system, page_number=1).page) == [1, 2, None, 10]


# --- the pages ----------------------------------------------------------------------------


def publish(diagnostic) -> Release:
    return release_publish(diagnostic=diagnostic, kind=Release.Kind.INTERIM, actor=None)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def personas(framework):
    """A steering member and a facilitator of Northbridge, a facilitator elsewhere; k = 5."""
    return make_report_personas(framework)


def add_evidence(diagnostic, system, count: int, *, prefix: str = "Example") -> None:
    """`count` respondents, each giving an example for A and for B."""
    organisations = [make_organisation(diagnostic.place, s) for s in ("public", "voluntary")]
    for i in range(count):
        make_response(
            diagnostic,
            system,
            dict.fromkeys("ABCDEFGHI", i % 5 + 1),
            organisation=organisations[i % 2],
            evidence={"A": f"{prefix} about hostels {i:03}", "B": f"{prefix} about trust {i:03}"},
        )


@pytest.fixture
def evidence_report(personas):
    add_evidence(personas["diagnostic"], personas["housing"], 60)
    publish(personas["diagnostic"])
    return personas


def evidence_url(diagnostic, system, query: str = "") -> str:
    url = reverse("reports:system_evidence", args=[diagnostic.slug, system.slug])
    return f"{url}?{query}" if query else url


def test_the_report_shows_three_excerpts_per_precondition_and_links_to_all(client, evidence_report):
    diagnostic, housing = evidence_report["diagnostic"], evidence_report["housing"]
    client.force_login(evidence_report["steering"])
    for url in [
        reverse("reports:diagnostic", args=[diagnostic.slug]),
        reverse("reports:system", args=[diagnostic.slug, housing.slug]),
    ]:
        content = client.get(url).content.decode()
        assert "Example about hostels 002" in content
        assert "Example about hostels 003" not in content
        assert "What people said about A. Beneficiary impact over organisational focus (60)" in (
            content
        )
        assert "See all 60 excerpts about A" in content
        assert evidence_url(diagnostic, housing, "code=A") in content
    assert "Search everything people said about" in content  # the system page, last


def test_the_evidence_page_lists_every_excerpt_page_by_page(client, evidence_report):
    diagnostic, housing = evidence_report["diagnostic"], evidence_report["housing"]
    client.force_login(evidence_report["steering"])
    first = client.get(evidence_url(diagnostic, housing, "code=A")).content.decode()
    assert "60 excerpts: 1 to 50 shown" in first
    assert "Example about hostels 049" in first and "Example about hostels 050" not in first
    assert "Example about trust" not in first
    assert 'aria-label="Pages of evidence"' in first
    second = client.get(evidence_url(diagnostic, housing, "code=A&page=2")).content.decode()
    assert "Example about hostels 050" in second and "Example about hostels 059" in second
    everything = client.get(evidence_url(diagnostic, housing)).content.decode()
    assert "120 excerpts" in everything


def test_the_evidence_page_searches(client, evidence_report):
    diagnostic, housing = evidence_report["diagnostic"], evidence_report["housing"]
    client.force_login(evidence_report["steering"])
    content = client.get(evidence_url(diagnostic, housing, "q=03+TRUST")).content.decode()
    assert "11 of 120 excerpts match" in content  # trust 003 and 030 to 039
    assert "Example about trust 003" in content and "Example about trust 039" in content
    assert "Example about hostels" not in content and "Example about trust 013" not in content
    none = client.get(evidence_url(diagnostic, housing, "q=nowhere")).content.decode()
    assert "No excerpt holds every word of your search" in none


def test_the_evidence_page_shows_the_release_not_what_came_after(client, evidence_report):
    diagnostic, housing = evidence_report["diagnostic"], evidence_report["housing"]
    add_evidence(diagnostic, housing, 5, prefix="Later")
    client.force_login(evidence_report["steering"])
    content = client.get(evidence_url(diagnostic, housing, "q=later")).content.decode()
    assert "Later about" not in content and "0 of 120 excerpts match" in content


def test_the_evidence_page_is_not_found_without_shared_evidence_or_access(client, evidence_report):
    diagnostic, housing = evidence_report["diagnostic"], evidence_report["housing"]
    client.force_login(evidence_report["outsider"])
    assert client.get(evidence_url(diagnostic, housing)).status_code == 404
    diagnostic.confidentiality = Diagnostic.Confidentiality.RATINGS_ONLY
    diagnostic.save()
    client.force_login(evidence_report["steering"])
    assert client.get(evidence_url(diagnostic, housing)).status_code == 404
    missing = reverse("reports:system_evidence", args=[diagnostic.slug, "no-such-system"])
    client.force_login(evidence_report["facilitator"])
    assert client.get(missing).status_code == 404


def test_a_hidden_system_shows_no_evidence(client, personas):
    diagnostic, youth = personas["diagnostic"], personas["youth"]
    add_evidence(diagnostic, youth, 2, prefix="Secret")  # below k = 5
    add_evidence(diagnostic, personas["housing"], 6)
    publish(diagnostic)
    client.force_login(personas["steering"])
    content = client.get(evidence_url(diagnostic, youth)).content.decode()
    assert "Secret" not in content and "Too few people responded" in content


def test_the_evidence_page_costs_the_same_queries_at_any_size(client, personas):
    diagnostic, housing = personas["diagnostic"], personas["housing"]
    client.force_login(personas["steering"])
    add_evidence(diagnostic, housing, 6)
    publish(diagnostic)
    small = count_queries(client, evidence_url(diagnostic, housing, "q=hostels&page=1"))
    add_evidence(diagnostic, housing, 80)
    publish(diagnostic)
    large = count_queries(client, evidence_url(diagnostic, housing, "q=hostels&page=2"))
    assert small == large


def test_the_system_page_offers_the_search_only_when_there_is_evidence(client, personas):
    diagnostic, housing = personas["diagnostic"], personas["housing"]
    for i in range(6):
        make_response(diagnostic, housing, dict.fromkeys("ABCDEFGHI", i % 5 + 1))
    publish(diagnostic)
    client.force_login(personas["steering"])
    url = reverse("reports:system", args=[diagnostic.slug, housing.slug])
    assert "Search everything people said" not in client.get(url).content.decode()
