"""``python -m bench``, the benchmark's own entry point (``make benchmark``), as a person
runs it. Its measurements are smoke-tested on PostgreSQL in test_benchmark_smoke.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_lists_its_options_but_not_the_internal_one():
    completed = bench("--help")

    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: python -m bench")
    for option in ("--sizes", "--requests", "--load-seconds", "--keep-database"):
        assert option in completed.stdout
    assert "--inside" not in completed.stdout


def test_it_refuses_unknown_sizes_before_doing_anything():
    completed = bench("--sizes", "place,planet")

    assert completed.returncode == 2
    assert "Unknown sizes ['planet']: choose from place, region, national." in completed.stderr
    assert "Benchmark database" not in completed.stdout
