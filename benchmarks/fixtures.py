"""What each fixture adds to a test, end to end: real pytest runs of generated tests.

For every variant a temporary project holds N tests and a conftest that times each
test's whole protocol (setup, call, teardown and reporting) in the process's CPU
time, which the other work of a shared machine does not inflate as it does wall
time. A run's figure is the median test, so the once-per-session work (the first
test's imports, the wrangler config read once, kv_clock's index of patch sites) and
the odd interrupted test drop out; a variant's cost is its figure less the bare
tests' in the same round. Rounds run every variant once each, in alternating order
(see ``harness``), and rows show medians over rounds.

Run with ``python -m benchmarks.fixtures`` from the repository root.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import median_difference, row, verdict

N = 300

# Times each test in the child and writes the median, in ms, where BENCH_OUT says.
TIMING_CONFTEST = """\
import os, statistics, time
import pytest

_times = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.process_time()
    try:
        return (yield)
    finally:
        _times.append(time.process_time() - start)


def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as out:
        out.write(repr(statistics.median(_times) * 1e3))
"""
PER_FILE = 100
LOCATIONS = [f"loc{i}" for i in range(8)]

WRANGLER_TOML = """\
name = "bench"
main = "src/entry.py"
compatibility_date = "2025-11-02"
kv_namespaces = [
  { binding = "FLAGS", id = "0f2ac74b498b48028cb68387c421e279" },
  { binding = "SESSIONS", id = "1e9d4c3b2a1f4e5d8c7b6a5f4e3d2c1b" },
  { binding = "CACHE", id = "2a8b7c6d5e4f4a3b9c8d7e6f5a4b3c2d" },
]
[vars]
SESSION_TTL = "3600"
"""

# variant: (the test's parameters, its body, files beside the tests)
VARIANTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "bare": ("", "pass", {}),
    "kv": ("kv", "pass", {}),
    "kv + kv_clock (freezegun)": ("kv, kv_clock", "pass", {}),
    "kv_clock driving time_machine": ("kv_clock, time_machine", "pass", {}),
    "time_machine alone": ("time_machine", "pass", {}),
    "freezer alone (pytest-freezer)": ("freezer", "pass", {}),
    "httpx_mock alone (pytest-httpx)": ("httpx_mock", "pass", {}),
    "kv_env, 3 bindings from wrangler.toml": ("kv_env", "pass", {"wrangler.toml": WRANGLER_TOML}),
    "kv_factory, eventual, 8 locations": (
        "kv_factory",
        f'kv_factory(consistency="eventual", locations={LOCATIONS!r})',
        {},
    ),
}


def _project(root: Path, params: str, body: str, extra: dict[str, str], count: int) -> None:
    root.mkdir(parents=True)
    # An ini file of its own, so the repository's settings (filterwarnings = error,
    # testpaths) stay out of it.
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (root / "conftest.py").write_text(TIMING_CONFTEST, encoding="utf-8")
    for name, text in extra.items():
        (root / name).write_text(text, encoding="utf-8")
    for start in range(0, count, PER_FILE):
        tests = "".join(
            f"def test_{index}({params}):\n    {body}\n\n\n"
            for index in range(start, min(start + PER_FILE, count))
        )
        (root / f"test_gen_{start // PER_FILE:03}.py").write_text(tests, encoding="utf-8")


def _run(root: Path) -> float:
    """The median test's CPU time in one pytest run over ``root``, in ms."""
    out = root / "median.txt"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=root,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "BENCH_OUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pytest failed in {root}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return float(out.read_text(encoding="utf-8"))


def measure(rounds: int, count: int = N) -> dict[str, list[float]]:
    """Each round's median cost per test of each variant, bare tests included, in ms
    (the variants take turns in every round)."""
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="pytest-kv-fixtures-") as temp:
        base = Path(temp)
        for number, (params, body, extra) in enumerate(VARIANTS.values()):
            _project(base / f"v{number}", params, body, extra, count)
        names = list(VARIANTS)
        _run(base / "v0")  # warm the file system cache and the interpreter's imports
        for number in range(rounds):
            order = names if number % 2 == 0 else list(reversed(names))
            for name in order:
                samples[name].append(_run(base / f"v{names.index(name)}"))
    return samples


def fixtures(rounds: int) -> None:
    """Print each fixture's cost per test above a bare test, with its target."""
    print(f"fixture cost per test (ms of CPU time above a bare test; median of {N} tests):")
    samples = measure(rounds)
    above = {name: median_difference(values, samples["bare"]) for name, values in samples.items()}
    row("bare test (pytest's own cost)", f"{statistics.median(samples['bare']):.3f} ms")
    targets = {
        "kv": 0.15,
        "kv_env, 3 bindings from wrangler.toml": 0.3,
        "kv_factory, eventual, 8 locations": 0.3,
    }
    # kv_clock's own share of "kv + kv_clock": what it adds to kv alone.
    clock_alone = median_difference(samples["kv + kv_clock (freezegun)"], samples["kv"])
    driving = median_difference(
        samples["kv_clock driving time_machine"], samples["time_machine alone"]
    )
    for name, value in above.items():
        if name == "bare":
            continue
        target = targets.get(name)
        shown = f"<= {target} ms" if target is not None else ""
        row(name, f"{value:.3f} ms", verdict(value <= target, shown) if target else "")
    row(
        "kv_clock (freezegun) beyond kv",
        f"{clock_alone:.3f} ms",
        verdict(clock_alone <= 1, "<= 1 ms"),
    )
    # With time-machine driving, kv_clock must cost what a fixture costs (as kv does).
    row(
        "kv_clock driving time_machine, beyond time_machine alone",
        f"{driving:.3f} ms",
        verdict(driving <= 0.15, "<= 0.15 ms"),
    )
    freezer = above["freezer alone (pytest-freezer)"]
    row(
        "kv_clock (freezegun) beyond kv / pytest-freezer's freezer", f"{clock_alone / freezer:.2f}x"
    )


if __name__ == "__main__":
    fixtures(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
