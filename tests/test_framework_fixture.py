from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from preconditions.models import Precondition, PreconditionGroup, PreconditionRelation


def dump_preconditions() -> list[dict]:
    out = io.StringIO()
    call_command("dumpdata", "preconditions", stdout=out)
    return json.loads(out.getvalue())


def test_it_holds_nine_preconditions_in_two_groups(framework):
    rows = dump_preconditions()
    codes = [r["fields"]["code"] for r in rows if r["model"] == "preconditions.precondition"]
    assert codes == list("ABCDEFGHI")
    groups = {
        r["fields"]["slug"]: r["pk"]
        for r in rows
        if r["model"] == "preconditions.preconditiongroup"
    }
    assert set(groups) == {"vision", "behaviours"}
    vision = Precondition.objects.filter(group__slug="vision").values_list("code", flat=True)
    assert list(vision) == list("ABCD")


@pytest.mark.parametrize("code", list("ABCDEFGHI"))
def test_every_precondition_is_fully_described(framework, code):
    p = Precondition.objects.get(code=code)
    for field in (
        "title",
        "summary",
        "description",
        "scenario_situation",
        "scenario_present",
        "scenario_absent",
    ):
        assert getattr(p, field).strip(), f"{code}.{field} is empty"
    assert p.indicators and all(isinstance(i, str) and i.strip() for i in p.indicators)
    assert p.warning_signs and all(isinstance(w, str) and w.strip() for w in p.warning_signs)
    assert len(p.summary) <= 300


def test_h_is_a_multiplier_for_every_other_precondition(framework):
    h = Precondition.objects.get(code="H")
    multiplied = set(
        PreconditionRelation.objects.filter(source=h, kind="multiplier").values_list(
            "target__code", flat=True
        )
    ) | set(
        PreconditionRelation.objects.filter(target=h, kind="multiplier").values_list(
            "source__code", flat=True
        )
    )
    assert multiplied == set("ABCDEFGI")


@pytest.mark.parametrize("pair", ["AB", "AG", "DH", "EF", "HI"])
def test_the_relations_the_report_discusses_are_there(framework, pair):
    a, b = pair
    assert (
        PreconditionRelation.objects.filter(source__code=a, target__code=b).exists()
        or PreconditionRelation.objects.filter(source__code=b, target__code=a).exists()
    )


def test_no_pair_is_stored_twice(framework):
    pairs = [
        frozenset(p)
        for p in PreconditionRelation.objects.values_list("source__code", "target__code")
    ]
    assert len(pairs) == len(set(pairs))


def test_loading_the_framework_twice_changes_nothing(framework):
    before = dump_preconditions()
    call_command("loaddata", "framework", verbosity=0)
    assert dump_preconditions() == before
    assert PreconditionGroup.objects.count() == 2
