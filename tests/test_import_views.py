"""The import pages: upload, preview with row-by-row problems, confirm."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.importing import COLUMNS
from surveys.models import AuditEvent, Diagnostic, PendingImport, Rating, Response
from tests.factories import import_row as row
from tests.factories import make_diagnostic, make_place, make_system, make_user


def csv_file(rows: list[dict[str, str]], name: str = "focus-group.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def many_rows(respondents: int) -> list[dict[str, str]]:
    return [
        row(respondent=f"R{n}", organisation=f"Org {n % 5}", precondition=code)
        for n in range(respondents)
        for code in "ABCDEFGHI"
    ]


@pytest.fixture
def facilitator(db):
    return make_user("fran")


@pytest.fixture
def diagnostic(facilitator, framework):
    place = make_place("Northbridge", facilitators=[facilitator])
    systems = [make_system(place, "Homelessness and housing"), make_system(place, "Families")]
    # Attributed: respondent labels are kept and shown as written (anonymous rounds keep
    # pseudonyms, see tests/test_confidentiality.py).
    return make_diagnostic(place, framework, systems=systems, attribution="attributed")


@pytest.fixture
def signed_in(client, facilitator):
    client.force_login(facilitator)
    return client


def upload(client, diagnostic, file):
    return client.post(reverse("surveys:import_upload", args=[diagnostic.slug]), {"file": file})


def preview_url(diagnostic) -> str:
    pending = PendingImport.objects.get()
    return reverse("surveys:import_preview", args=[diagnostic.slug, pending.public_id])


def test_the_upload_page_describes_the_columns_with_an_example(signed_in, diagnostic):
    response = signed_in.get(reverse("surveys:import_upload", args=[diagnostic.slug]))
    assert response.status_code == 200
    content = response.content.decode()
    for column in COLUMNS:
        assert f"<code>{column}</code>" in content
    assert "An empty rating means don’t know" in content
    assert 'enctype="multipart/form-data"' in content
    assert 'accept=".csv,.xlsx"' in content
    assert "Homelessness" in content  # the systems the file may name


def test_a_facilitator_uploads_previews_and_confirms_an_import(signed_in, diagnostic):
    rows = [
        row(precondition="A", rating="2", evidence="Shared outcomes agreed."),
        row(precondition="B", rating=""),
        row(respondent="R2", organisation="Hope Trust", sector="VCSE", role="frontline"),
    ]
    response = upload(signed_in, diagnostic, csv_file(rows))
    assert response.status_code == 302
    assert response["Location"] == preview_url(diagnostic)

    response = signed_in.get(preview_url(diagnostic))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Check the import" in content
    assert "Import 3 ratings" in content
    assert "3, of which 1 don’t know" in content
    assert "Hope Trust" in content
    assert "Shared outcomes agreed." in content
    assert not Response.objects.exists()

    response = signed_in.post(preview_url(diagnostic), follow=True)
    assert response.redirect_chain[-1][0] == diagnostic.get_absolute_url()
    assert "Imported 3 ratings in 2 responses from 2 respondents." in response.content.decode()
    assert Response.objects.filter(diagnostic=diagnostic, source="import").count() == 2
    assert Rating.objects.count() == 3
    assert not PendingImport.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORTED)
    assert event.actor.username == "fran"
    assert event.detail["filename"] == "focus-group.csv"


def test_the_preview_shows_the_first_20_rows(signed_in, diagnostic):
    upload(signed_in, diagnostic, csv_file(many_rows(5)))
    content = signed_in.get(preview_url(diagnostic)).content.decode()
    assert "The first 20 rows" in content
    assert ">R2<" in content  # rows 20 and 21 are R2's
    assert ">R3<" not in content
    assert "Import 45 ratings" in content


def test_problems_are_listed_by_row_and_column_and_nothing_is_imported(signed_in, diagnostic):
    rows = [row(), row(precondition="B", sector="Goverment"), row(precondition="C", rating="7")]
    upload(signed_in, diagnostic, csv_file(rows))
    response = signed_in.get(preview_url(diagnostic))
    content = response.content.decode()
    assert 'class="govuk-error-summary"' in content
    assert 'role="alert"' in content
    assert "Row 3, column sector: &#x27;Goverment&#x27; is not a sector." in content
    assert "Row 4, column rating: &#x27;7&#x27; is not on the scale." in content
    assert 'href="#import-error-2"' in content
    assert 'id="import-error-2"' in content
    assert reverse("surveys:import_upload", args=[diagnostic.slug]) in content
    assert "Import 3 ratings" not in content

    response = signed_in.post(preview_url(diagnostic))
    assert response.status_code == 200
    assert "Nothing has been imported" in response.content.decode()
    assert not Response.objects.exists()


def test_confirming_checks_the_file_again(signed_in, diagnostic):
    upload(signed_in, diagnostic, csv_file([row(system="Families")]))
    diagnostic.systems.remove(diagnostic.systems.get(name="Families"))
    response = signed_in.post(preview_url(diagnostic))
    assert "&#x27;Families&#x27; is not one of this diagnostic" in response.content.decode()
    assert not Response.objects.exists()
    assert PendingImport.objects.exists()


def test_a_second_confirmation_imports_nothing_more(signed_in, diagnostic):
    upload(signed_in, diagnostic, csv_file([row()]))
    url = preview_url(diagnostic)
    signed_in.post(url)
    response = signed_in.post(url)
    assert response.status_code == 404
    assert Rating.objects.count() == 1


def test_a_file_that_cannot_be_read_is_refused_on_the_upload_page(signed_in, diagnostic):
    content = b"respondent,organisation,sector,system,rating\nR1,O,public,Families,3\n"
    response = upload(signed_in, diagnostic, SimpleUploadedFile("f.csv", content))
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "no column called &#x27;precondition&#x27;" in page
    assert 'href="#id_file"' in page
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("notes.pdf", b"%PDF-1.4"), "must be a CSV or Excel (.xlsx) file"),
        (SimpleUploadedFile("f.csv", b""), "The selected file is empty"),
        (None, "Select a CSV or Excel file"),
    ],
)
def test_the_wrong_kind_of_file_is_refused(signed_in, diagnostic, file, message):
    data = {"file": file} if file else {}
    response = signed_in.post(reverse("surveys:import_upload", args=[diagnostic.slug]), data)
    assert message in response.content.decode()
    assert not PendingImport.objects.exists()


@override_settings(MAX_UPLOAD_SIZE=1024)
def test_an_oversized_file_is_refused(signed_in, diagnostic):
    response = upload(signed_in, diagnostic, csv_file(many_rows(10)))
    assert response.status_code == 200
    assert "The selected file must be smaller than 1.0\xa0KB" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_another_facilitator_cannot_reach_someone_elses_upload(client, diagnostic, facilitator):
    client.force_login(facilitator)
    upload(client, diagnostic, csv_file([row()]))
    url = preview_url(diagnostic)

    colleague = make_user("colleague")  # facilitates the same place
    diagnostic.place.facilitators.add(colleague)
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not Response.objects.exists()


def test_facilitators_of_other_places_and_visitors_cannot_import(client, diagnostic, framework):
    outsider = make_user("outsider")
    make_place("Elsewhere", facilitators=[outsider])
    client.force_login(outsider)
    url = reverse("surveys:import_upload", args=[diagnostic.slug])
    assert client.get(url).status_code == 404
    assert upload(client, diagnostic, csv_file([row()])).status_code == 404

    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_closed_diagnostic_can_still_import_forms_from_its_round(signed_in, diagnostic):
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status=Diagnostic.Status.CLOSED)
    upload(signed_in, diagnostic, csv_file([row()]))
    signed_in.post(preview_url(diagnostic))
    assert Response.objects.filter(diagnostic=diagnostic).count() == 1


def test_the_preview_needs_the_same_queries_for_a_small_or_large_file(signed_in, diagnostic):
    counts = []
    for respondents in (2, 40):
        upload(signed_in, diagnostic, csv_file(many_rows(respondents)))
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(preview_url(diagnostic)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
