"""What the race explorer says: schedules as text (and back), and the report of a
failing schedule as a timeline that someone who has never seen the tool can read."""

from __future__ import annotations

import math
import os
import re
import textwrap
import traceback
from collections.abc import Sequence
from typing import Final

from pytest_kv.errors import shown
from pytest_kv.kv.keys import name_of

from .arguments import seconds_text
from .executions import Choice, Ending, Move, Program
from .observations import Step

_MOVE: Final = re.compile(r"\+(\d+(?:\.\d+)?)s?")
_PACKAGE: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HOW_TO_READ: Final = (
    "How to read it: each invocation runs until it awaits a KV call; the explorer then "
    "chooses which waiting call completes next, so each step is one call completing, in "
    "that order. A read shows what it returned, a write what it stored; `clock +Ns` "
    "moves time between two steps (the clock moves of advance=)."
)
NO_TRANSACTIONS: Final = (
    "KV has no transactions and no compare-and-swap: requests that read a key, change "
    "the value and write it back can lose each other's updates. Give each request its "
    "own key (and combine them when reading), make the write idempotent, or send the "
    "updates through one place that serialises them (a Durable Object, a queue)."
)


def schedule_text(choices: Sequence[Choice]) -> str:
    """A schedule as the user pastes it: ``"0 1 +60s 0 1"``."""
    return " ".join(str(choice) for choice in choices)


def parse_schedule(value: object, count: int, helper: str) -> tuple[list[Choice], str]:
    """The choices of a ``schedule=`` value (the string a report prints, or a list of
    its tokens); TypeError or ValueError if it cannot be one."""
    tokens: list[object]
    if isinstance(value, str):
        tokens = list(value.replace(",", " ").split())
    elif isinstance(value, (list, tuple)):
        tokens = [
            str(token) if isinstance(token, int) and not isinstance(token, bool) else token
            for token in value
        ]
    else:
        raise TypeError(
            f"{helper}: schedule must be the string a failure report prints, such as "
            f'"0 1 0 1", got {shown(value)}'
        )
    text = " ".join(str(token) for token in tokens)
    choices: list[Choice] = []
    for number, token in enumerate(tokens, 1):
        if isinstance(token, bool) or not isinstance(token, str):
            raise TypeError(f"{helper}: schedule step {number} is {shown(token)}, not a step")
        move = _MOVE.fullmatch(token)
        if token.isdigit():
            index = int(token)
            if index >= count:
                raise ValueError(
                    f"{helper}: schedule {text!r}, step {number}: there is no invocation "
                    f"[{index}]; the {count} invocations are numbered 0 to {count - 1}, in "
                    "the order given"
                )
            choices.append(index)
        elif move is not None and math.isfinite(float(move.group(1))):
            choices.append(Move(float(move.group(1))))
        else:
            raise ValueError(
                f"{helper}: schedule {text!r}, step {number} is {token!r}: a step is an "
                "invocation's number (its pending call completes) or a clock move such "
                "as +60s"
            )
    return choices, text


def _label(program: Program, index: int, show_location: bool) -> str:
    label = f"[{index}] {program.names[index]}"
    return f"{label} @{program.locations[index]}" if show_location else label


def notes(steps: Sequence[Step], program: Program) -> dict[int, str]:
    """What the timeline points out: a write that replaces another invocation's write
    it never read (a lost update), and a read that saw a stale copy."""
    found: dict[int, str] = {}
    last_write: dict[str, Step] = {}
    for step in steps:
        if step.stale:
            found[step.number] = step.stale
        if step.key is None or step.invocation is None:
            continue
        if step.wrote is None and not step.deleted:
            continue
        previous = last_write.get(step.key)
        last_write[step.key] = step
        if previous is None or previous.invocation == step.invocation:
            continue
        assert previous.invocation is not None
        seen = any(
            other.invocation == step.invocation
            and other.key == step.key
            and previous.number < other.number < step.number
            and other.read == (previous.wrote,)
            for other in steps
        )
        if not seen:
            what = "deletion" if previous.deleted else f"write of {_shown_bytes(previous.wrote)}"
            verb = "deletes" if step.deleted else "overwrites"
            found[step.number] = (
                f"{verb} [{previous.invocation}]'s {what} (step {previous.number}) "
                "without having read it"
            )
    return found


def _shown_bytes(value: bytes | None) -> str:
    return "(missing)" if value is None else shown(value.decode("utf-8", "replace"), 40)


def timeline(ending: Ending, program: Program) -> str:
    """The steps of one execution as a table, one row per step."""
    steps = ending.steps
    if not steps:
        return "  (no KV call: every invocation finished without awaiting the namespace)"
    show_location = program.eventual or len(set(program.locations)) > 1
    show_time = program.eventual or ending.moved
    pointed = notes(steps, program)
    header = ["step"] + (["time"] if show_time else []) + ["invocation", "call", "result"]
    rows = [header]
    for step in steps:
        who = (
            "(clock)"
            if step.invocation is None
            else _label(program, step.invocation, show_location)
        )
        time = [f"+{seconds_text(step.time)}s"] if show_time else []
        rows.append([str(step.number), *time, who, step.call, step.result])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = []
    for position, row in enumerate(rows):
        cells = [
            cell.rjust(widths[0]) if i == 0 else cell.ljust(widths[i])
            for i, cell in enumerate(row[:-1])
        ]
        line = "  " + "  ".join([*cells, row[-1]])
        note = pointed.get(position) if position else None
        lines.append(f"{line}  <- {note}" if note else line.rstrip())
    return "\n".join(lines)


def _where(error: BaseException) -> str:
    """The innermost frame of the user's code in an error's traceback."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith(_PACKAGE)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (in {frame.name}, {os.path.basename(frame.filename)}:{frame.lineno})"


def _error_text(error: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    lines = [line.rstrip() for line in text.splitlines()]
    return "\n".join([lines[0], *(f"    {line}" if line else "" for line in lines[1:])])


def _truth_text(ending: Ending) -> str:
    if not ending.truth:
        return "(no keys)"
    shown_keys = [
        f"{shown(name_of(key), 40)} = {_shown_bytes(value)}"
        for key, value, _, _ in ending.truth[:8]
    ]
    more = len(ending.truth) - 8
    return ", ".join(shown_keys) + (f", and {more} more" if more > 0 else "")


def what_failed(ending: Ending, program: Program) -> str:
    error = ending.error
    assert error is not None
    if ending.failed_invocation is not None:
        index = ending.failed_invocation
        own = [step.number for step in ending.steps if step.invocation == index]
        when = f" at step {own[-1]}" if own else " before its first KV call"
        return (
            f"Then invocation {_label(program, index, False)} raised{when}{_where(error)}:\n"
            f"    {_error_text(error)}"
        )
    results = ""
    if program.with_results:
        results = "\nResults: " + ", ".join(
            f"[{index}] {shown(result, 40)}" for index, result in enumerate(ending.results)
        )
    return (
        f"Then the invariant failed{_where(error)}:\n    {_error_text(error)}\n"
        f"Final truth: {_truth_text(ending)}{results}"
    )


def replay_call(program: Program, schedule: str, helper: str) -> str:
    arguments = [*program.names]
    arguments.append("ns=...")
    if program.invariant is not None:
        arguments.append("invariant=...")
    if len(set(program.locations)) > 1 or program.locations[0] != program.source.location:
        arguments.append(f"locations={list(program.locations)!r}")
    arguments.append(f'schedule="{schedule}"')
    return f"{helper}({', '.join(arguments)})"


def failure_text(ending: Ending, program: Program, helper: str) -> str:
    """One failing schedule: its timeline, what failed, and how to replay it."""
    schedule = schedule_text(ending.choices)
    lost = any("without having read it" in note for note in notes(ending.steps, program).values())
    parts = [
        f'Schedule "{schedule}", step by step:',
        timeline(ending, program),
        what_failed(ending, program),
        "",
        wrapped(HOW_TO_READ),
        "Replay exactly this interleaving (in a regression test, or to check a fix):",
        f"    {replay_call(program, schedule, helper)}",
    ]
    if lost:
        parts += ["", wrapped(NO_TRANSACTIONS)]
    return "\n".join(parts)


def wrapped(text: str) -> str:
    return textwrap.fill(text, 88, break_long_words=False, break_on_hyphens=False)
