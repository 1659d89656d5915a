"""``ns.sync``: the binding's methods, blocking, for synchronous code under test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_kv.errors import KVError

from . import operations
from .operations import failed, logged
from .values import read_stream_blocking

if TYPE_CHECKING:
    from pytest_kv.js.jsdict import JsDict

    from .namespace import KVNamespace

__all__ = ["SyncKVNamespace"]


class SyncKVNamespace:
    """``ns.sync``: the binding's methods, blocking, with the same results and errors.

    Example::

        kv.sync.put("k", "v", expirationTtl=60)
        assert kv.sync.list(prefix="k")["keys"][0]["name"] == "k"
    """

    __slots__ = ("_ns",)

    def __init__(self, ns: KVNamespace) -> None:
        self._ns = ns

    def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """Blocking ``get``."""
        __tracebackhide__ = True
        try:
            return operations.read(self._ns, "get", key, args, kwargs, False)
        except KVError as error:
            raise failed(self._ns, "get", key, args, kwargs, error) from None
        except Exception as error:
            raise logged(self._ns, "get", key, args, kwargs, error)  # noqa: B904 (the same error)

    def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """Blocking ``getWithMetadata``."""
        __tracebackhide__ = True
        try:
            return operations.read(self._ns, "getWithMetadata", key, args, kwargs, True)
        except KVError as error:
            raise failed(self._ns, "getWithMetadata", key, args, kwargs, error) from None
        except Exception as error:
            raise logged(self._ns, "getWithMetadata", key, args, kwargs, error)  # noqa: B904 (the same error)

    def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Blocking ``put``; a stream value must not wait on real I/O."""
        __tracebackhide__ = True
        try:
            if not operations.put_quick(self._ns, key, value, args, kwargs):
                plan = operations.plan_put(self._ns, key, value, args, kwargs)
                body = plan.body
                if isinstance(body, bytes):
                    operations.finish_put(self._ns, plan, body, False)
                else:
                    operations.finish_put(self._ns, plan, read_stream_blocking(body), True)
        except KVError as error:
            raise failed(self._ns, "put", key, args, kwargs, error) from None
        except Exception as error:
            raise logged(self._ns, "put", key, args, kwargs, error)  # noqa: B904 (the same error)

    def delete(self, key: Any, *args: Any) -> None:
        """Blocking ``delete``."""
        __tracebackhide__ = True
        try:
            operations.delete(self._ns, key, args)
        except KVError as error:
            raise failed(self._ns, "delete", key, args, {}, error) from None
        except Exception as error:
            raise logged(self._ns, "delete", key, args, {}, error)  # noqa: B904 (the same error)

    def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """Blocking ``list``."""
        __tracebackhide__ = True
        try:
            return operations.list_keys(self._ns, args, kwargs)
        except KVError as error:
            raise failed(self._ns, "list", None, args, kwargs, error) from None
        except Exception as error:
            raise logged(self._ns, "list", None, args, kwargs, error)  # noqa: B904 (the same error)

    def __repr__(self) -> str:
        return f"<SyncKVNamespace {self._ns.name!r}>"
