"""What every benchmark shares: timing loops, interleaved rounds, rows and verdicts.

Figures that are compared are measured interleaved: each round runs every variant
once (in alternating order), and a ratio is the median of the per-round ratios, so a
change in machine load during the run moves both sides of a ratio together.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

# (measurement, figure, target and verdict), in the order measured.
ROWS: list[tuple[str, str, str]] = []

Run = Callable[[int], float]  # runs `ops` operations, returns the seconds taken


def loop(call: Callable[[], Any]) -> Run:
    def run(ops: int) -> float:
        start = time.perf_counter()
        for _ in range(ops):
            call()
        return time.perf_counter() - start

    return run


def async_loop(call: Callable[[], Awaitable[Any]]) -> Run:
    async def body(ops: int) -> float:
        start = time.perf_counter()
        for _ in range(ops):
            await call()
        return time.perf_counter() - start

    return lambda ops: asyncio.run(body(ops))


def median_us(run: Run, ops: int, rounds: int) -> float:
    """Median over ``rounds`` of the time per operation, in microseconds."""
    samples = []
    for _ in range(rounds):
        gc.collect()
        samples.append(run(ops) / ops * 1e6)
    return statistics.median(samples)


class Interleaved:
    """Per-operation samples (µs) of several variants, measured round by round."""

    def __init__(self, variants: dict[str, Run], ops: int | dict[str, int], rounds: int) -> None:
        self.samples: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        for number in range(rounds):
            for name in names if number % 2 == 0 else reversed(names):
                count = ops[name] if isinstance(ops, dict) else ops
                gc.collect()
                self.samples[name].append(variants[name](count) / count * 1e6)

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def ratio(self, name: str, base: str) -> float:
        """The median of the per-round ratios ``name / base``."""
        pairs = zip(self.samples[name], self.samples[base], strict=True)
        return statistics.median(a / b for a, b in pairs)

    def difference(self, name: str, base: str) -> float:
        """The median of the per-round differences ``name - base``."""
        return median_difference(self.samples[name], self.samples[base])


def median_difference(samples: list[float], base: list[float]) -> float:
    """The median over rounds of each sample less the same round's ``base``."""
    return statistics.median(a - b for a, b in zip(samples, base, strict=True))


def row(what: str, figure: str, target: str = "") -> None:
    ROWS.append((what, figure, target))
    print(f"  {what:<66} {figure:>16}  {target}", flush=True)


def verdict(ok: bool, target: str = "") -> str:
    """``ok`` or ``MISSED``, after the target when the row does not name it."""
    word = "ok" if ok else "MISSED"
    return f"{target}: {word}" if target else word


def table() -> str:
    lines = ["| measurement | median | target |", "|---|---|---|"]
    lines += [f"| {what} | {figure} | {target} |" for what, figure, target in ROWS]
    return "\n".join(lines)
