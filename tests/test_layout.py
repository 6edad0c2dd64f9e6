"""The layout of the code: the demo (``demo/``) and the benchmark (``bench/``) sit beside
the product apps and import them; no product module imports either, at the top or inside
a function, so neither can creep back into what is deployed and no package cycle forms."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ("config", "preconditions", "surveys", "reports", "workshops")
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


# Workshops sit on surveys and preconditions (docs/workshops.md): they never import the
# reports, the action plans or the outbox, and surveys and preconditions never import them.
NOT_FOR = {
    "workshops": {"reports", "actions", "outbox"},
    "surveys": {"workshops"},
    "preconditions": {"workshops"},
}


@pytest.mark.parametrize(
    "path",
    sorted(path for package in NOT_FOR for path in (ROOT / package).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_workshops_depend_only_on_surveys_and_preconditions(path):
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
