"""What a Worker's compatibility date and flags, and the SDK it ships, change for
Python code: which handler names workerd calls, whether JavaScript ``null`` reaches
Python as ``None`` or ``jsnull``, and whether bindings come wrapped or raw.

The dates are workerd's (``compatibility-date.capnp``):

- ``python_no_global_handlers`` from 2025-08-14: class methods are called ``fetch``;
  before it, workerd calls ``on_fetch`` and the module-level ``on_fetch`` handler.
- ``python_workers_20250116`` from 2025-09-29: Pyodide 0.28, where JavaScript ``null``
  arrives as ``pyodide.ffi.jsnull``; before it, Pyodide 0.26 turns it into ``None``.
- ``python_request_headers_preserve_commas`` from 2026-02-17.
- ``enable_python_external_sdk`` from 2026-04-21: the built-in ("frozen") SDK is gone,
  so a Worker must vendor ``workers-runtime-sdk`` (``pywrangler`` always does).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["FROZEN", "SDKS", "VENDORED", "Runtime", "runtime_of"]

VENDORED: Final = "vendored"
FROZEN: Final = "frozen"
SDKS: Final = (VENDORED, FROZEN)

NO_GLOBAL_HANDLERS: Final = "2025-08-14"
PYODIDE_0_28: Final = "2025-09-29"
PRESERVE_COMMAS: Final = "2026-02-17"
EXTERNAL_SDK: Final = "2026-04-21"

# Flags that choose a Pyodide of 0.28 or later (null arrives as jsnull there).
_NEW_PYODIDE_FLAGS: Final = ("python_workers_20250116", "python_workers_20260610")


@dataclass(frozen=True, slots=True)
class Runtime:
    """The behaviour one Worker configuration gets from workerd and its SDK.

    Example: ``runtime_of("2024-03-29", ["python_workers"]).legacy_handlers`` is true.
    """

    compatibility_date: str
    compatibility_flags: tuple[str, ...]
    sdk: str  # VENDORED (workers-runtime-sdk, bindings wrapped) or FROZEN (raw bindings)
    legacy_handlers: bool  # workerd calls on_fetch, and module-level on_* handlers
    jsnull: bool  # JavaScript null reaches Python as jsnull (Pyodide >= 0.28)
    preserve_commas: bool  # python_request_headers_preserve_commas

    @property
    def wrapped(self) -> bool:
        """Whether ``self.env`` wraps KV bindings (the vendored SDK does, the frozen not)."""
        return self.sdk == VENDORED


def _on(flags: tuple[str, ...], date: str, since: str, enable: str, disable: str) -> bool:
    if disable in flags:
        return False
    return enable in flags or date >= since


def _check_date(date: str) -> str:
    try:
        datetime.date.fromisoformat(date)
    except (TypeError, ValueError):
        raise ValueError(
            f"compatibility_date {date!r} is not a date like '2025-11-02' (YYYY-MM-DD)"
        ) from None
    return date


def runtime_of(date: str | None, flags: Iterable[str] = (), sdk: str | None = None) -> Runtime:
    """The ``Runtime`` for a compatibility date and flags; ``sdk`` is ``"vendored"``
    (the default: ``pywrangler`` vendors ``workers-runtime-sdk``) or ``"frozen"``.

    Without a date, today's is used, as wrangler does when the config gives none.
    """
    day = _check_date(date) if date else datetime.date.today().isoformat()
    flags = tuple(flags)
    for flag in flags:
        if not isinstance(flag, str):
            raise ValueError(f"compatibility_flags must be strings, got {flag!r}")
    chosen = VENDORED if sdk is None else sdk
    if chosen not in SDKS:
        raise ValueError(f"workers_sdk must be 'vendored' or 'frozen', got {sdk!r}")
    external = _on(
        flags, day, EXTERNAL_SDK, "enable_python_external_sdk", "disable_python_external_sdk"
    )
    if chosen == FROZEN and external:
        raise ValueError(
            f"workers_sdk='frozen' cannot run with compatibility_date {day}: from "
            f"{EXTERNAL_SDK} (enable_python_external_sdk) workerd no longer has the "
            "built-in SDK and `import workers` fails unless the Worker vendors "
            "workers-runtime-sdk. Add the disable_python_external_sdk flag, use an "
            "earlier date, or choose workers_sdk='vendored'"
        )
    new_pyodide = not {"no_python_workers_20250116"} & set(flags) and (
        day >= PYODIDE_0_28 or any(flag in flags for flag in _NEW_PYODIDE_FLAGS)
    )
    return Runtime(
        compatibility_date=day,
        compatibility_flags=flags,
        sdk=chosen,
        legacy_handlers=not _on(
            flags,
            day,
            NO_GLOBAL_HANDLERS,
            "python_no_global_handlers",
            "disable_python_no_global_handlers",
        ),
        jsnull=bool(new_pyodide),
        preserve_commas=_on(
            flags,
            day,
            PRESERVE_COMMAS,
            "python_request_headers_preserve_commas",
            "disable_python_request_headers_preserve_commas",
        ),
    )
