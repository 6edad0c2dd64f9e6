"""The board paper (PDF) page by page: a one-page executive summary first, who took part
(response rates by sector and by role, small groups hidden), the sector and role tables,
and an "Interim" mark on every page while the figures can change. Text is extracted with
pypdf; ``PDF_PAGES_DIR=/some/dir`` also renders each page to PNG with pdftoppm, to look at.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports.models import Release
from reports.participation import participation
from reports.releases import release_publish
from surveys.models import Diagnostic, Response
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


@pytest.fixture
def paper(framework):
    """Housing: 8 public-sector managers (10 invited), 6 voluntary frontline workers
    (6 invited) and 2 private-sector senior leaders (4 invited); k = 5. Youth: 3
    public-sector managers from offline forms, so hidden."""
    facilitator, steering = make_user(), make_user()
    place = make_place("Northbridge", facilitators=[facilitator])
    housing, youth = make_system(place, "Homelessness and housing"), make_system(place, "Youth")
    diagnostic = make_diagnostic(place, framework, systems=[housing, youth], title="Round 2")
    diagnostic.steering_members.add(steering)
    groups = [("public", "manager", 10, 8), ("voluntary", "frontline", 6, 6)]
    groups += [("private", "senior", 4, 2)]
    for sector, role, invited, answered in groups:
        organisation = make_organisation(place, sector)
        for i in range(invited):
            invitation = make_invitation(
                diagnostic, organisation=organisation, role=role, systems=[housing]
            )
            if i < answered:
                scores = {code: (i + n) % 5 + 1 for n, code in enumerate(CODES)}
                make_response(
                    diagnostic,
                    housing,
                    scores,
                    organisation=organisation,
                    role=role,
                    invitation=invitation,
                )
    for _ in range(3):  # from offline forms, public-sector managers
        make_response(diagnostic, youth, dict.fromkeys(CODES, 3))
    Response.objects.filter(system=youth).update(source=Response.Source.IMPORT)
    return {"diagnostic": diagnostic, "steering": steering, "facilitator": facilitator}


def pdf_pages(client, diagnostic, user, name: str) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("reports:pdf", args=[diagnostic.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    render(response.content, name)
    # White space as one space: lines wrap wherever the layout puts them.
    pages = PdfReader(io.BytesIO(response.content)).pages
    return [" ".join(page.extract_text().split()) for page in pages]


def render(content: bytes, name: str) -> None:
    """With PDF_PAGES_DIR set, each page as a PNG (pdftoppm, from poppler-utils)."""
    directory = os.environ.get("PDF_PAGES_DIR")
    if not directory or not shutil.which("pdftoppm"):
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / f"{name}.pdf"
    path.write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "60", path, path.with_suffix("")], check=True)


def test_the_first_page_is_a_one_page_executive_summary(client, paper):
    release_publish(diagnostic=paper["diagnostic"], kind=Release.Kind.INTERIM, actor=None)
    pages = pdf_pages(client, paper["diagnostic"], paper["steering"], "interim")
    first = pages[0]
    assert "Executive summary" in first and "Round 2" in first
    assert "19 responses about 2 systems" in first
    assert "80% of the 20 invited responses were submitted online" in first
    assert "3 came from offline forms" in first
    assert "Homelessness and housing" in first and "Youth" in first
    assert "Too few people responded to show this system" in first
    assert "median" in first
    # It fits: the next section starts on page 2, and the summary is not repeated there.
    assert pages[1].lstrip().startswith(("INTERIM", "About this report"))
    assert "About this report" in pages[1] and "Executive summary" not in pages[1]


def test_every_page_of_an_interim_release_is_marked_interim(client, paper):
    release_publish(diagnostic=paper["diagnostic"], kind=Release.Kind.INTERIM, actor=None)
    pages = pdf_pages(client, paper["diagnostic"], paper["steering"], "interim-mark")
    assert len(pages) >= 5
    for number, text in enumerate(pages, start=1):
        assert "INTERIM" in text, f"page {number}"
    assert "these figures will change at the next release" in pages[0]


def test_a_final_release_carries_no_interim_mark(client, paper):
    diagnostic = paper["diagnostic"]
    diagnostic.status = Diagnostic.Status.CLOSED
    diagnostic.save()
    release_publish(diagnostic=diagnostic, kind=Release.Kind.FINAL, actor=None)
    pages = pdf_pages(client, diagnostic, paper["steering"], "final")
    assert not any("INTERIM" in text for text in pages)
    assert "Final release" in pages[0]


def test_who_took_part_gives_rates_by_sector_and_role_and_hides_small_groups(client, paper):
    release_publish(diagnostic=paper["diagnostic"], kind=Release.Kind.INTERIM, actor=None)
    pages = pdf_pages(client, paper["diagnostic"], paper["steering"], "participation")
    page = next(text for text in pages if "Who took part" in text and "Responses by sector" in text)
    # Public: 8 online of 10 invited, and Youth's 3 from offline forms (not in the rate).
    assert "Public sector 10 11 80%" in page and "Manager 10 11 80%" in page
    # 2 private-sector senior leaders are below k = 5: hidden, and so is the next smallest
    # group, so the total cannot give them away.
    assert "Private sector 4 Hidden (fewer than 5)" in page
    assert "Voluntary and community sector (VCSE) 6 Hidden (fewer than 5)" in page
    assert "Senior leader 4 Hidden (fewer than 5)" in page
    assert "Frontline worker 6 Hidden (fewer than 5)" in page
    assert "Everyone 20 19 80%" in page


def test_who_took_part_counts_the_release_not_what_came_after(paper):
    diagnostic = paper["diagnostic"]
    release = release_publish(diagnostic=diagnostic, kind=Release.Kind.INTERIM, actor=None)
    late = Response.objects.filter(diagnostic=diagnostic).first()
    make_response(diagnostic, late.system, dict.fromkeys(CODES, 2))
    assert participation(diagnostic, release).total.responses == 19
    assert participation(diagnostic, None).total.responses == 20


def test_each_system_has_its_sector_and_role_tables(client, paper):
    release_publish(diagnostic=paper["diagnostic"], kind=Release.Kind.INTERIM, actor=None)
    pages = pdf_pages(client, paper["diagnostic"], paper["steering"], "breakdowns")
    text = "\n".join(pages)
    housing = text[text.index("Ratings by pre-condition") :]
    assert "By sector" in housing and "By role" in housing
    assert "Public sector Private sector Voluntary and community sector" in housing
    assert "A Beneficiary impact over organisational focus 2.5 (n 8) Hidden Hidden" in housing
    assert "Managers A Beneficiary impact over organisational focus 2.5 (n 8)" in housing


def test_the_demo_round_fits_its_executive_summary_on_one_page(client, framework):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from demo.northbridge import CURRENT_TITLE

    call_command("seed_demo", stdout=io.StringIO())
    diagnostic = Diagnostic.objects.get(title=CURRENT_TITLE)
    steering = get_user_model().objects.get(username="steering")
    pages = pdf_pages(client, diagnostic, steering, "demo")
    assert "Executive summary" in pages[0]
    for name in ("Homelessness and housing", "Families with multiple needs"):
        assert name in pages[0]
    assert "Mental health crisis care" in pages[0]
    assert "About this report" in pages[1] and "Executive summary" not in pages[1]
