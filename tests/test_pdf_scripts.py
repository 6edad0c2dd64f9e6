"""Evidence in the scripts people in UK places write in prints as text, not empty boxes:
the board paper's fonts (Debian's Noto families, installed by scripts/system-packages.sh)
cover them, and the PDF embeds a font for each."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from surveys.models import Diagnostic
from tests.factories import (
    make_diagnostic,
    make_organisation,
    make_place,
    make_response,
    make_system,
    make_user,
)

# One sentence per script, each with the font family that must draw it.
EVIDENCE = {
    "A": ("我们一起工作", "Noto-Sans-CJK-SC"),  # Chinese, in simplified forms
    "B": ("نحن نعمل معا", "Noto-Sans-Arabic"),  # Arabic
    "C": ("আমরা একসাথে কাজ করি", "Noto-Sans-Bengali"),  # Bengali
    "D": ("ਅਸੀਂ ਮਿਲ ਕੇ ਕੰਮ ਕਰਦੇ ਹਾਂ", "Noto-Sans-Gurmukhi"),  # Punjabi
    "E": ("நாங்கள் ஒன்றாக வேலை செய்கிறோம்", "Noto-Sans-Tamil"),  # Tamil
    "F": ("Współpracujemy ze sobą", "Noto-Sans"),  # Polish
}


@pytest.fixture
def pdf(client, framework) -> PdfReader:
    facilitator = make_user()
    place = make_place(facilitators=[facilitator])
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(
        place,
        framework,
        systems=[system],
        min_group_size=3,
        attribution=Diagnostic.Attribution.ATTRIBUTED,
    )
    organisation = make_organisation(place, "voluntary")
    evidence = {code: text for code, (text, _) in EVIDENCE.items()}
    for _ in range(3):
        make_response(
            diagnostic,
            system,
            dict.fromkeys("ABCDEFGHI", 3),
            organisation=organisation,
            evidence=evidence,
        )
    client.force_login(facilitator)
    response = client.get(reverse("reports:pdf", args=[diagnostic.slug]))
    assert response.status_code == 200
    return PdfReader(io.BytesIO(response.content))


def embedded_fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_each_script_is_drawn_with_a_font_that_has_it(pdf):
    fonts = " ".join(embedded_fonts(pdf))
    for text, family in EVIDENCE.values():
        assert family in fonts, f"no {family} font embedded for {text!r}: {fonts}"
    assert "DejaVu" not in fonts  # the report's own text is in Noto Sans too


def test_the_evidence_comes_back_out_as_text(pdf):
    text = "".join(page.extract_text() for page in pdf.pages)
    for sample in ("我们一起工作", "Współpracujemy"):
        assert sample in text
