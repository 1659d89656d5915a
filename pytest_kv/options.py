"""The plugin's options: their names, how ini text becomes a value, who reads them.

Options reach fixtures from ini settings (suite-wide defaults, ``kv_<name>``), then
``@pytest.mark.kv(...)`` markers (the closest wins), then ``kv_factory(...)`` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .clock import to_epoch
from .errors import did_you_mean


def _instant(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return to_epoch(text)


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    help: str
    from_ini: Callable[[str], Any]
    for_clock: bool = False

    @property
    def ini_name(self) -> str:
        return f"kv_{self.name}"


OPTIONS: Final[dict[str, Option]] = {
    option.name: option
    for option in (
        Option(
            "clock_start",
            "where kv_clock freezes time: epoch seconds or ISO 8601 (UTC unless an "
            "offset is given); default: the current second",
            _instant,
            for_clock=True,
        ),
    )
}


def check_names(names: Iterable[str], where: str) -> None:
    """Reject an unknown option with a hint, since a typo would silently do nothing."""
    for name in names:
        if name not in OPTIONS:
            raise TypeError(
                f"{where}: unknown option {name!r}{did_you_mean(name, OPTIONS)} "
                f"The options are: {', '.join(OPTIONS)}."
            )


def namespace_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if not OPTIONS[name].for_clock}
