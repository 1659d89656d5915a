"""JavaScript values as Pyodide hands them to Python: ``JsProxy`` and its kinds, the
``jsnull`` singleton and ``JsException``. Conversions are in ``jsconvert``.

Only what Worker code observes is modelled: attribute access on objects (a missing
property is an ``AttributeError``), index access on arrays, ``get`` on maps,
``to_py()``, ``as_object_map()``, ``==`` as JavaScript's ``===``, and ``str()`` as
JavaScript's ``toString()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, Final

from pytest_kv.js.jsdict import js_property_order

__all__ = [
    "JsArray",
    "JsBuffer",
    "JsException",
    "JsMap",
    "JsNull",
    "JsObject",
    "JsProxy",
    "JsSet",
    "jsnull",
]

_NOT_SUBSCRIPTABLE: Final = (
    "'pyodide.ffi.JsProxy' object is not subscriptable: a JavaScript object's "
    "properties are attributes (obj.{name}); use .as_object_map() or .to_py() for "
    "obj['key']"
)


class _Constructor:
    """``value.constructor``: all that Python code reads from it is ``.name``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"function {self.name}() {{ [native code] }}"


class JsProxy:
    """A JavaScript object seen from Python (``pyodide.ffi.JsProxy``).

    Example: ``proxy.constructor.name``, ``proxy.typeof``, ``proxy.to_py()``.
    """

    js_type: ClassVar[str] = "Object"

    @property
    def constructor(self) -> _Constructor:
        """The JavaScript constructor; ``.constructor.name`` names the JS class."""
        return _Constructor(self.js_type)

    @property
    def typeof(self) -> str:
        """JavaScript's ``typeof`` of the value."""
        return "object"

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> Any:
        """A deep conversion to Python (objects and maps become dicts, arrays lists)."""
        return self

    def __eq__(self, other: object) -> bool:
        return self is other  # JavaScript's ===

    def __hash__(self) -> int:
        return id(self)

    def __str__(self) -> str:
        return f"[object {self.js_type}]"

    def __repr__(self) -> str:
        return str(self)


def _convert(value: Any, depth: int, default_converter: Any) -> Any:
    if isinstance(value, JsProxy) and depth != 0:
        return value.to_py(depth=depth - 1, default_converter=default_converter)
    return value


class JsObject(JsProxy):
    """A plain JavaScript object: properties are attributes.

    Example: ``result.keys`` on a raw ``list()`` result is the JavaScript array.
    """

    _properties: dict[str, Any]

    def __init__(self, properties: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        items = properties.items() if isinstance(properties, Mapping) else properties
        object.__setattr__(self, "_properties", js_property_order(items))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_properties"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._properties[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self._properties[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> list[str]:
        return [*self._properties, "as_object_map", "object_keys", "to_py", "typeof"]

    def __getitem__(self, key: object) -> Any:
        raise TypeError(_NOT_SUBSCRIPTABLE.format(name=key))

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("'pyodide.ffi.JsProxy' object is not iterable")

    def object_keys(self) -> JsArray:
        """``Object.keys(obj)``."""
        return JsArray(self._properties)

    def object_values(self) -> JsArray:
        """``Object.values(obj)``."""
        return JsArray(self._properties.values())

    def object_entries(self) -> JsArray:
        """``Object.entries(obj)``."""
        return JsArray(JsArray(pair) for pair in self._properties.items())

    def as_object_map(self) -> dict[str, Any]:
        """A view with ``["key"]`` access; here a shallow dict of the properties."""
        return dict(self._properties)

    def as_py_json(self) -> Any:
        """The value read as JSON: objects as mappings, arrays as lists, all the way down."""
        return {k: v.as_py_json() if hasattr(v, "as_py_json") else v for k, v in self._pairs()}

    def _pairs(self) -> Iterable[tuple[str, Any]]:
        return self._properties.items()

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> dict[str, Any]:
        return {k: _convert(v, depth, default_converter) for k, v in self._properties.items()}


class JsArray(JsProxy):
    """A JavaScript Array: a sequence (``len``, indexing, iteration).

    Example: ``for key in (await raw_kv.list()).keys: key.name``.
    """

    js_type = "Array"

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items = list(items)

    @property
    def length(self) -> int:
        """The JavaScript ``length``."""
        return len(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __str__(self) -> str:
        return ",".join("" if v is None or v is jsnull else str(v) for v in self._items)

    def as_py_json(self) -> list[Any]:
        """The array read as JSON."""
        return [v.as_py_json() if hasattr(v, "as_py_json") else v for v in self._items]

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> list[Any]:
        return [_convert(v, depth, default_converter) for v in self._items]


class JsMap(JsProxy):
    """A JavaScript Map: a read-only mapping (``m[k]``, ``in``, ``len``, ``get``).

    ``to_js(dict)`` makes one when no ``dict_converter`` is given; KV reads options
    as object properties and would silently ignore a Map.
    """

    js_type = "Map"

    def __init__(self, entries: Iterable[Any] = ()) -> None:
        self._entries: dict[Any, Any] = {}
        for pair in entries:
            key, value = pair
            self._entries[key] = value

    @property
    def size(self) -> int:
        """The JavaScript ``size``."""
        return len(self._entries)

    def get(self, key: Any, default: Any = None) -> Any:
        """``map.get(key)``, or ``default`` when the key is absent."""
        return self._entries.get(key, default)

    def has(self, key: Any) -> bool:
        """``map.has(key)``."""
        return key in self._entries

    def keys(self) -> Iterable[Any]:
        """The keys in insertion order."""
        return self._entries.keys()

    def values(self) -> Iterable[Any]:
        """The values in insertion order."""
        return self._entries.values()

    def items(self) -> Iterable[tuple[Any, Any]]:
        """The entries in insertion order."""
        return self._entries.items()

    def __getitem__(self, key: Any) -> Any:
        return self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[Any]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> dict[Any, Any]:
        return {k: _convert(v, depth, default_converter) for k, v in self._entries.items()}


class JsSet(JsProxy):
    """A JavaScript Set (what ``to_js`` makes of a Python set)."""

    js_type = "Set"

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items = dict.fromkeys(items)

    @property
    def size(self) -> int:
        """The JavaScript ``size``."""
        return len(self._items)

    def has(self, item: Any) -> bool:
        """``set.has(item)``."""
        return item in self._items

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> set[Any]:
        return {_convert(v, depth, default_converter) for v in self._items}


class JsBuffer(JsProxy):
    """An ``ArrayBuffer`` or typed array (``pyodide.ffi.JsBuffer``).

    Example: ``(await raw_kv.get("k", "arrayBuffer")).to_bytes()``.
    """

    def __init__(self, data: bytes, js_type: str = "Uint8Array") -> None:
        self._data = bytes(data)
        self._type = js_type

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(self._type)

    @property
    def byteLength(self) -> int:
        """The JavaScript ``byteLength``."""
        return len(self._data)

    def to_bytes(self) -> bytes:
        """A copy of the buffer as ``bytes``."""
        return self._data

    def to_memoryview(self) -> memoryview:
        """A copy of the buffer as a ``memoryview``."""
        return memoryview(bytearray(self._data))

    def to_string(self, encoding: str | None = None) -> str:
        """The buffer decoded (UTF-8 unless ``encoding`` is given)."""
        return self._data.decode(encoding or "utf-8", errors="replace")

    def __len__(self) -> int:
        return len(self._data)

    def __str__(self) -> str:
        if self._type == "ArrayBuffer":
            return "[object ArrayBuffer]"
        return ",".join(str(b) for b in self._data)

    def to_py(self, *, depth: int = -1, default_converter: Any = None) -> memoryview:
        return self.to_memoryview()


class JsNull(JsProxy):
    """The type of ``jsnull``, JavaScript's ``null`` on Pyodide 0.28 and later."""

    _instance: ClassVar[JsNull | None] = None

    def __new__(cls) -> JsNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return "null"

    def __repr__(self) -> str:
        return "jsnull"

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"'JsNull' object has no attribute {name!r} (it is JavaScript null)")


jsnull: Final = JsNull()


class JsException(JsProxy, Exception):  # noqa: N818 - Pyodide's name
    """A JavaScript error raised into Python (``pyodide.ffi.JsException``).

    ``str(error)`` is ``"<name>: <message>"``, as in Pyodide.

    Example::

        try:
            JSON.parse("{")
        except JsException as error:
            assert error.name == "SyntaxError"
    """

    js_type = "Error"

    def __init__(self, name: str, message: str) -> None:
        Exception.__init__(self, f"{name}: {message}")
        self.name = name
        self.message = message
        self.stack = f"{name}: {message}\n    at <pytest-kv stand-in>"

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"

    def __repr__(self) -> str:
        return f"JsException({self.name}: {self.message})"

    __hash__ = JsProxy.__hash__
