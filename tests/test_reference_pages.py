from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape


def test_home_page_says_what_the_tool_is_for(client, db):
    response = client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "not a checklist" in content.lower()
    assert 'href="#main-content"' in content  # skip link
    assert "Collaborate CIC" in content  # footer credit


def test_list_groups_the_nine_under_vision_and_behaviours(client, framework):
    response = client.get(reverse("preconditions:list"))
    assert response.status_code == 200
    content = response.content.decode()
    vision, behaviours = content.index(">Vision<"), content.index(">Behaviours<")
    assert vision < behaviours
    for code in "ABCD":
        assert vision < content.index(f"/preconditions/{code}/") < behaviours
    for code in "EFGHI":
        assert content.index(f"/preconditions/{code}/") > behaviours


@pytest.mark.parametrize("code", list("ABCDEFGHI"))
def test_each_precondition_has_a_page(client, framework, code):
    precondition = framework.preconditions.get(code=code)
    response = client.get(f"/preconditions/{code}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert escape(precondition.title) in content
    assert "If it is in place, my experience is" in content
    assert "If it is absent, my experience is" in content
    assert escape(precondition.indicators[0]) in content


def test_the_detail_page_links_related_preconditions_both_ways(client, framework):
    # H multiplies every other pre-condition, so A's page links to H and H's to A.
    assert 'href="/preconditions/H/"' in client.get("/preconditions/A/").content.decode()
    assert 'href="/preconditions/A/"' in client.get("/preconditions/H/").content.decode()


def test_codes_are_case_insensitive_and_unknown_codes_are_404(client, framework):
    assert client.get("/preconditions/h/").status_code == 200
    assert client.get("/preconditions/Z/").status_code == 404


def test_pages_query_the_database_a_fixed_number_of_times(
    client, framework, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        client.get(reverse("preconditions:list"))
    with django_assert_max_num_queries(4):
        client.get("/preconditions/H/")
