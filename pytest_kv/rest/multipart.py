"""``multipart/form-data`` bodies (RFC 7578), parsed with the standard library's
``email`` parser: the values PUT's ``value`` and ``metadata`` parts."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP


class MultipartError(ValueError):
    """The body is not the multipart document its content type announces."""


def parse(content_type: str, body: bytes) -> dict[str, bytes]:
    """Each part's bytes by its form name (the first part of a name wins). A part
    without a filename is a text field, as a form-data parser reads one: its bytes
    are UTF-8, with invalid sequences replaced (a file part keeps its bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    try:
        message: Message = BytesParser(policy=HTTP).parsebytes(head + body)
    except Exception as error:  # the parser is lenient; this is defensive
        raise MultipartError(str(error)) from None
    if not message.is_multipart() or message.get_boundary() is None:
        raise MultipartError("no multipart boundary")
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name in parts:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is None:
            data = data.decode("utf-8", "replace").encode("utf-8")
        parts[name] = data
    return parts
