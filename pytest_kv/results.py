"""Result types shaped like the Python Workers runtime's own."""

from __future__ import annotations

from typing import Any

__all__ = ["JsDict"]


class JsDict(dict[str, Any]):
    """A ``dict`` that also allows attribute access, like the runtime's ``JsDict``.

    The Python Workers SDK turns every JavaScript object it returns into one of
    these. Methods of ``dict`` win over keys, exactly as in production, so a list
    result's keys are ``result["keys"]`` (``result.keys`` is the dict method).

    Example::

        meta = await kv.getWithMetadata("k")
        assert meta.value == meta["value"]
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value
