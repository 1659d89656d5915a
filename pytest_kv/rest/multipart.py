"""``multipart/form-data`` bodies (RFC 7578): the values PUT's ``value`` and
``metadata`` parts.

A small parser of our own rather than the standard library's ``email`` parser, which
decodes the whole body as text and takes milliseconds a request: this one splits the
bytes on the boundary, so a 25 MiB value costs one copy.
"""

from __future__ import annotations

import re
from typing import Final


class MultipartError(ValueError):
    """The body is not the multipart document its content type announces."""


_BOUNDARY: Final = re.compile(r';\s*boundary=(?:"([^"]+)"|([^\s;]+))', re.IGNORECASE)
_PARAM: Final = re.compile(r';\s*([\w*-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))')


def boundary_of(content_type: str) -> bytes:
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise MultipartError("no multipart boundary")
    return (found.group(1) or found.group(2)).encode("latin-1")


def _disposition(head: bytes) -> dict[str, str]:
    for line in head.split(b"\r\n"):
        name, _, value = line.decode("utf-8", "replace").partition(":")
        if name.strip().lower() == "content-disposition":
            return {
                match.group(1).lower(): re.sub(r"\\(.)", r"\1", match.group(2))
                if match.group(2) is not None
                else match.group(3)
                for match in _PARAM.finditer(";" + value.split(";", 1)[-1])
            }
    return {}


def parse(content_type: str, body: bytes) -> dict[str, bytes]:
    """Each part's bytes by its form name (the first part of a name wins). A part
    without a filename is a text field, as a form-data parser reads one: its bytes
    are UTF-8, with invalid sequences replaced (a file part keeps its bytes)."""
    delimiter = b"--" + boundary_of(content_type)
    start = body.find(delimiter)
    if start < 0:
        raise MultipartError("no part")
    parts: dict[str, bytes] = {}
    position = start + len(delimiter)
    while not body.startswith(b"--", position):
        head_start = body.find(b"\r\n", position) + 2
        head_end = body.find(b"\r\n\r\n", head_start - 2)
        end = body.find(b"\r\n" + delimiter, head_end)
        if head_start < 2 or head_end < 0 or end < 0:
            raise MultipartError("a part is not closed by the boundary")
        params = _disposition(body[head_start:head_end])
        data = body[head_end + 4 : end]
        name = params.get("name")
        if name is not None and name not in parts:
            if "filename" not in params:
                data = data.decode("utf-8", "replace").encode("utf-8")
            parts[name] = data
        position = end + 2 + len(delimiter)
    return parts
