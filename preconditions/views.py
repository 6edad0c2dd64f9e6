from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .framework import framework_default, precondition_related
from .models import Framework, Precondition


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
    groups = framework.groups.prefetch_related("preconditions")
    return render(request, "preconditions/list.html", {"framework": framework, "groups": groups})


def precondition_detail(request: HttpRequest, code: str) -> HttpResponse:
    framework = _framework_or_404()
    try:
        precondition = framework.preconditions.select_related("group").get(code=code.upper())
    except Precondition.DoesNotExist:
        raise Http404(f"No pre-condition {code!r}") from None
    siblings = list(framework.preconditions.all())
    index = next(i for i, p in enumerate(siblings) if p.pk == precondition.pk)
    return render(
        request,
        "preconditions/detail.html",
        {
            "framework": framework,
            "precondition": precondition,
            "related": precondition_related(precondition),
            "previous": siblings[index - 1] if index > 0 else None,
            "next": siblings[index + 1] if index + 1 < len(siblings) else None,
        },
    )
