"""The layout of the code: the demo (``demo/``) and the benchmark (``bench/``) sit beside
the product apps and import them; no product module imports either, at the top or inside
a function, so neither can creep back into what is deployed and no package cycle forms."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = (
    "config",
    "preconditions",
    "surveys",
    "reports",
    "actions",
    "outbox",
    "workshops",
)
NOT_PRODUCT = ("demo", "bench")


def imported_modules(source: str) -> set[str]:
    """Every module an ``import`` or ``from ... import`` names, anywhere in the source
    (relative imports are within the package itself, so they cannot name demo or bench)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_it_reads_imports_at_the_top_and_inside_functions():
    source = "import os\nfrom bench import run\ndef f():\n    import demo.northbridge\n"
    assert imported_modules(source) == {"os", "bench", "demo.northbridge"}


def product_modules() -> list[Path]:
    return sorted(path for package in PRODUCT_PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_every_product_package_is_there():
    found = {path.relative_to(ROOT).parts[0] for path in product_modules()}
    assert found == set(PRODUCT_PACKAGES)


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_product_module_imports_the_demo_or_the_benchmark(path):
    forbidden = {
        module
        for module in imported_modules(path.read_text(encoding="utf-8"))
        if module.split(".")[0] in NOT_PRODUCT
    }
    assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


# Dependencies point one way (docs/architecture.md): reports -> actions -> outbox ->
# surveys -> preconditions, and workshops -> surveys. Each app never imports these.
NOT_FOR = {
    "preconditions": {"surveys", "reports", "actions", "outbox", "workshops"},
    "surveys": {"reports", "actions", "outbox", "workshops"},
    "outbox": {"reports", "actions", "workshops"},
    "actions": {"reports", "workshops"},
    "reports": {"workshops"},
    "workshops": {"reports", "actions", "outbox"},
}


@pytest.mark.parametrize(
    "path",
    sorted(
        path
        for package in NOT_FOR
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_dependencies_point_one_way(path):
    package = path.relative_to(ROOT).parts[0]
    forbidden = {
        module
        for module in imported_modules(path.read_text(encoding="utf-8"))
        if module.split(".")[0] in NOT_FOR[package]
    }
    assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def every_test_module() -> list[Path]:
    return sorted((ROOT / "tests").rglob("test_*.py"))


@pytest.mark.parametrize("path", every_test_module(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_module_imports_another(path):
    """Shared helpers live in tests/factories.py (or a conftest), not in a test module that
    others import: importing one runs its module-level code and ties the two together."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = imported_modules(path.read_text(encoding="utf-8")) | {
        f".{node.module}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level and node.module
    }
    others = {module for module in imported if module.split(".")[-1].startswith("test_")}
    assert not others, f"{path.relative_to(ROOT)} imports {sorted(others)}"


# --- The audit trail has one writer --------------------------------------------------

AUDIT_HELPER = ROOT / "surveys" / "audit.py"
# The demo writes its sample history with back-dated events in one bulk insert; it is
# not product code (see test_no_product_module_imports_the_demo_or_the_benchmark).
AUDIT_WRITES_ALLOWED = (AUDIT_HELPER, ROOT / "demo" / "northbridge.py")
WRITING_METHODS = {"create", "bulk_create", "get_or_create", "update_or_create"}


def audit_event_writes(source: str) -> list[int]:
    """The lines that make an ``AuditEvent`` other than through ``surveys.audit.audit``:
    ``AuditEvent(...)``, or ``create``/``bulk_create``/… on ``AuditEvent.objects`` or a
    diagnostic's or place's ``audit_events``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = ast.unparse(node.func)
        method = func.rsplit(".", 1)[-1]
        if func == "AuditEvent" or (
            method in WRITING_METHODS
            and (func.startswith("AuditEvent.") or ".audit_events." in f".{func}")
        ):
            lines.append(node.lineno)
    return lines


def test_it_finds_every_way_of_writing_an_audit_event():
    source = (
        "AuditEvent.objects.create(action='x')\n"
        "AuditEvent.objects.bulk_create([])\n"
        "event = AuditEvent(action='x')\n"
        "diagnostic.audit_events.create(action='x')\n"
        "AuditEvent.objects.filter(action='x').count()\n"
        "audit(AuditEvent.Action.OPENED, diagnostic=diagnostic)\n"
    )
    assert audit_event_writes(source) == [1, 2, 3, 4]


def first_party_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] not in {".venv", "tests", "node_modules"}
        and "migrations" not in path.parts
    )


def test_the_modules_searched_include_every_app():
    found = {path.relative_to(ROOT).parts[0] for path in first_party_modules()}
    assert {*PRODUCT_PACKAGES, *NOT_PRODUCT} <= found


@pytest.mark.parametrize(
    "path",
    [path for path in first_party_modules() if path not in AUDIT_WRITES_ALLOWED],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_audit_events_are_written_only_by_the_audit_helper(path):
    lines = audit_event_writes(path.read_text(encoding="utf-8"))
    assert not lines, (
        f"{path.relative_to(ROOT)} writes an AuditEvent itself (lines {lines}): "
        "call surveys.audit.audit()"
    )


# --- Views are adapters: no queries, no audit writes ---------------------------------


def view_modules() -> list[str]:
    """Every view module of the product apps (``views.py`` or a ``views/`` package), so
    a new app is covered the day it is added. The benchmark's own views are not product."""
    return sorted(
        str(path.relative_to(ROOT))
        for path in first_party_modules()
        if path.relative_to(ROOT).parts[0] not in NOT_PRODUCT
        and (path.name == "views.py" or (path.parent.name == "views" and path.stem != "__init__"))
    )


def test_every_view_module_is_checked():
    assert {
        "surveys/views/facilitator.py",
        "surveys/views/importing.py",
        "surveys/views/partner.py",
        "reports/views.py",
        "outbox/views.py",
        "actions/views.py",
        "preconditions/views.py",
        "config/views.py",
    } <= set(view_modules())


QUERY_METHODS = {
    "filter",
    "exclude",
    "all",
    "annotate",
    "aggregate",
    "values",
    "values_list",
    "select_related",
    "prefetch_related",
    "order_by",
    "count",
    "exists",
    "first",
    "last",
    "create",
    "bulk_create",
    "update",
    "delete",
}
# Receivers that are not querysets (``get`` is left out altogether: dicts have it too).
NOT_QUERYSETS = ("request.", "form.cleaned_data")


def queries_and_audit_writes(source: str) -> list[str]:
    """What a view module does that belongs in a business module: ``X.objects`` (a
    manager), a related manager or queryset method (``diagnostic.systems.filter``),
    ``audit(...)`` or an ``AuditEvent`` write. Each as ``line: code``, once a line."""
    found: dict[int, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.setdefault(node.lineno, f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            receiver, _, method = func.rpartition(".")
            if (
                func == "audit"
                or func.startswith("AuditEvent")
                or (
                    method in QUERY_METHODS
                    and "." in receiver  # a manager is an attribute: place.systems
                    and not receiver.startswith(NOT_QUERYSETS)
                )
            ):
                found.setdefault(node.lineno, f"{node.lineno}: {func}(...)")
    return [found[line] for line in sorted(found)]


def test_it_finds_queries_and_audit_writes_in_a_view():
    source = (
        "places = Place.objects.filter(facilitators=user)\n"
        "systems = diagnostic.systems.order_by('name')\n"
        "audit(AuditEvent.Action.OPENED, diagnostic=diagnostic)\n"
        "page = request.GET.get('page')\n"
        "name = form.cleaned_data.get('name')\n"
        "rows = reading.raw_evidence_read(diagnostic=diagnostic)\n"
    )
    assert [line.split(":")[0] for line in queries_and_audit_writes(source)] == ["1", "2", "3"]


@pytest.mark.parametrize("name", view_modules())
def test_views_leave_queries_and_audit_writes_to_the_business_modules(name):
    found = queries_and_audit_writes((ROOT / name).read_text(encoding="utf-8"))
    assert not found, f"{name} queries or audits itself: {found}"
