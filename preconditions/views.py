from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .framework import (
    framework_default,
    framework_groups,
    precondition_related,
    precondition_with_neighbours,
)
from .models import Framework


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _framework_or_404() -> Framework:
    try:
        return framework_default()
    except Framework.DoesNotExist:
        raise Http404(
            "The framework has not been loaded: run manage.py loaddata framework"
        ) from None


def precondition_list(request: HttpRequest) -> HttpResponse:
    framework = _framework_or_404()
    groups = framework_groups(framework)
    return render(request, "preconditions/list.html", {"framework": framework, "groups": groups})


def precondition_detail(request: HttpRequest, code: str) -> HttpResponse:
    framework = _framework_or_404()
    found = precondition_with_neighbours(framework, code)
    if found is None:
        raise Http404(f"No pre-condition {code!r}")
    previous, precondition, following = found
    return render(
        request,
        "preconditions/detail.html",
        {
            "framework": framework,
            "precondition": precondition,
            "related": precondition_related(precondition),
            "previous": previous,
            "next": following,
        },
    )
