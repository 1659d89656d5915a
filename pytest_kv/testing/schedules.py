"""The race explorer's search: every schedule that can differ, then random ones.

Exploration is a depth-first search over the choices of an execution
(``executions``), by re-execution: to reach a point of the search again, a fresh
execution replays the choices that lead there. It prunes with sleep sets
(Godefroid's partial-order reduction): once every schedule after choice ``t`` at some
point has been explored, ``t`` *sleeps* in the schedules after the choices explored
next at that point, for as long as only steps independent of ``t`` are taken
(``footprints`` has the rule), since taking ``t`` there could only swap it with those
steps: the same outcome, already seen. A schedule in which every choice left is
asleep is dropped unfinished. What is explored has one schedule for each way of
ordering the steps that depend on each other, so every distinct final state is
reached.

Past ``max_schedules`` complete schedules, the search stops, and ``random_schedules``
more follow, each choice drawn uniformly from those available, from a
``random.Random(seed)``: the same seed, the same schedules.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from .executions import Choice, Ending, Execution, Program, UsageError
from .footprints import EVERYTHING, Footprint, dependent
from .observations import describe


@dataclass
class _Point:
    """A point of the search: the choices there, and what the reduction knows."""

    enabled: list[Choice]
    sleep: dict[Choice, Footprint]
    done: dict[Choice, Footprint] = field(default_factory=dict)
    chosen: Choice = 0
    touched: Footprint = EVERYTHING  # what ``chosen`` touched

    def awake(self) -> list[Choice]:
        return [c for c in self.enabled if c not in self.sleep and c not in self.done]


@dataclass
class Exploration:
    """Every complete schedule the search ran, and how the search ended."""

    endings: list[Ending] = field(default_factory=list)
    exhaustive: bool = False
    pruned: int = 0  # executions dropped: every choice left was asleep
    random: int = 0


def explore(program: Program, max_schedules: int, random_schedules: int, seed: int) -> Exploration:
    """Every schedule that can differ, depth first, up to ``max_schedules``; then, if
    there are more, ``random_schedules`` random ones drawn from ``seed``."""
    found = Exploration()
    stack: list[_Point] = []
    while True:
        execution = Execution(program)
        try:
            for point in stack:
                if point.chosen not in execution.enabled():
                    raise UsageError(
                        "the invocations did not repeat themselves: the same schedule "
                        "reached a different state. The explorer re-runs them from the "
                        "start for every schedule, so they must decide only by what they "
                        "read from the namespace (no random numbers, no real time, no "
                        "state kept between runs)"
                    )
                point.touched = execution.take(point.chosen)
            if _extend(program, execution, stack):
                found.endings.append(execution.finish())
            else:
                found.pruned += 1
        finally:
            execution.abandon()
        while stack:
            point = stack[-1]
            point.done[point.chosen] = point.touched
            awake = point.awake()
            if awake:
                point.chosen = awake[0]
                break
            stack.pop()
        if not stack:
            found.exhaustive = True
            return found
        if len(found.endings) >= max_schedules:
            break
    draw = random.Random(seed)
    for _ in range(random_schedules):
        execution = Execution(program)
        try:
            while enabled := execution.enabled():
                execution.take(draw.choice(enabled))
            found.endings.append(execution.finish())
            found.random += 1
        finally:
            execution.abandon()
    return found


def _extend(program: Program, execution: Execution, stack: list[_Point]) -> bool:
    """Take the first awake choice at each new point until the execution ends; False
    if it stops because every choice left is asleep."""
    eventual, numbered = program.eventual, program.numbered
    while enabled := execution.enabled():
        sleep: dict[Choice, Footprint] = {}
        if stack:
            parent = stack[-1]
            for choice, touched in (*parent.sleep.items(), *parent.done.items()):
                if (
                    choice != parent.chosen
                    and choice in enabled
                    and not dependent(touched, parent.touched, eventual, numbered)
                ):
                    sleep[choice] = touched
        point = _Point(enabled, sleep)
        awake = point.awake()
        if not awake:
            return False
        point.chosen = awake[0]
        stack.append(point)
        point.touched = execution.take(point.chosen)
    return True


def run(program: Program, choices: Sequence[Choice], observe: bool = True) -> Ending:
    """One execution under exactly ``choices``; ValueError if they do not fit."""
    text = " ".join(str(choice) for choice in choices)
    execution = Execution(program, observe)
    try:
        for number, choice in enumerate(choices, 1):
            if isinstance(choice, int):
                if execution.invocations[choice].done:
                    raise ValueError(
                        f"schedule {text!r}, step {number}: invocation [{choice}] "
                        f"{program.names[choice]} has already finished; {_waiting(execution)}"
                    )
            elif not execution.waiting():
                raise ValueError(
                    f"schedule {text!r}, step {number}: every invocation has finished, so "
                    "the clock has nothing to move for"
                )
            execution.take(choice)
        if execution.waiting():
            raise ValueError(
                f"schedule {text!r} ends after {len(choices)} steps, but "
                f"{_waiting(execution)}. A schedule names every step: copy the whole "
                "schedule= value from the report"
            )
        return execution.finish()
    finally:
        execution.abandon()


def _waiting(execution: Execution) -> str:
    waiting = [
        f"[{inv.index}] {execution.program.names[inv.index]} waits on {describe(inv.pending)}"
        for inv in execution.invocations
        if not inv.done and inv.pending is not None
    ]
    return "; ".join(waiting) if waiting else "every invocation has finished"
