"""``python -m bench.report_weight`` (the report's weight at 1,000 and 5,000 responses,
docs/performance.md), as a person runs it: its options, and a refusal of bad sizes
before any database is made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.report_weight", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_lists_its_options_but_not_the_internal_one():
    completed = run("--help")
    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: python -m bench.report_weight")
    assert "--responses" in completed.stdout and "--inside" not in completed.stdout


def test_it_refuses_sizes_that_are_not_whole_numbers():
    completed = run("--responses", "1000,lots")
    assert completed.returncode == 2
    assert "--responses takes whole numbers" in completed.stdout
    assert "throwaway cluster" not in completed.stdout
