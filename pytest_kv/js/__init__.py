"""JavaScript and Pyodide value semantics: what Python values become in JavaScript
(``String()``, ``ToNumber``, int32, ``JSON.stringify``), what JavaScript hands back
(``JSON.parse`` with V8's messages, ``JsDict``), and how strings become bytes.

The lowest layer: it imports nothing from pytest-kv but ``errors``.
"""
