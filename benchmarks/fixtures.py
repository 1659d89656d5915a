"""What each fixture adds to a test, end to end: real pytest runs of generated tests.

For every variant a temporary project holds N tests and another 2N; the per-test cost
is (t(2N) - t(N)) / N, so pytest's start-up and collection overhead cancel, less the
same figure for bare tests. The time is the child's CPU time (user + system), which
the other work of a shared machine does not inflate as it does wall time. Rounds run
every variant once each, in alternating order (see ``harness``), and rows show medians.

Run with ``python -m benchmarks.fixtures`` from the repository root.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import row, verdict

N = 500
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
    for name, text in extra.items():
        (root / name).write_text(text, encoding="utf-8")
    for start in range(0, count, PER_FILE):
        tests = "".join(
            f"def test_{index}({params}):\n    {body}\n\n\n"
            for index in range(start, min(start + PER_FILE, count))
        )
        (root / f"test_gen_{start // PER_FILE:03}.py").write_text(tests, encoding="utf-8")


def _run(root: Path) -> float:
    """The CPU seconds of one pytest run over ``root``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=root,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"pytest failed in {root}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(rounds: int, count: int = N) -> dict[str, float]:
    """The median cost per test of each variant, bare tests included, in ms."""
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="pytest-kv-fixtures-") as temp:
        base = Path(temp)
        for number, (params, body, extra) in enumerate(VARIANTS.values()):
            for size in (count, 2 * count):
                _project(base / f"v{number}" / str(size), params, body, extra, size)
        names = list(VARIANTS)
        for _ in range(2):  # warm the file system cache and the interpreter's imports
            _run(base / "v0" / str(count))
        for number in range(rounds):
            order = names if number % 2 == 0 else list(reversed(names))
            for name in order:
                where = base / f"v{names.index(name)}"
                small, large = _run(where / str(count)), _run(where / str(2 * count))
                samples[name].append((large - small) / count * 1e3)
    return {name: statistics.median(values) for name, values in samples.items()}


def fixtures(rounds: int) -> None:
    """Print each fixture's cost per test above a bare test, with its target."""
    print(f"fixture cost per test (ms of CPU time above a bare test; {N} vs {2 * N} tests):")
    per_test = measure(rounds)
    bare = per_test["bare"]
    above = {name: value - bare for name, value in per_test.items()}
    row("bare test (pytest's own cost)", f"{bare:.3f} ms")
    targets = {
        "kv": 0.15,
        "kv_env, 3 bindings from wrangler.toml": 0.3,
        "kv_factory, eventual, 8 locations": 0.3,
    }
    # kv_clock's own share of "kv + kv_clock": what it adds to kv alone.
    clock_alone = above["kv + kv_clock (freezegun)"] - above["kv"]
    driving = above["kv_clock driving time_machine"] - above["time_machine alone"]
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
    row(
        "kv_clock driving time_machine, beyond time_machine alone",
        f"{driving:.3f} ms",
        verdict(driving <= 1, "<= 1 ms"),
    )
    row(
        "kv_clock (freezegun) vs time_machine alone + driving",
        f"{clock_alone:.3f} / {above['time_machine alone'] + driving:.3f} ms",
        verdict(clock_alone <= above["time_machine alone"] + driving, "<= time_machine + driving"),
    )


if __name__ == "__main__":
    fixtures(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
