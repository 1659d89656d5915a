"""HTTP statuses as workerd words and checks them: default status texts, null-body and
redirect statuses, and ``raise_for_status``'s error."""

from __future__ import annotations

from typing import Final

__all__ = ["NULL_BODY_STATUSES", "REDIRECT_STATUSES", "HttpStatusError", "status_text"]

# workerd's default status texts (api/http.c++ defaultStatusText), RFC 7231 wording.
_STATUS_TEXT: Final = {
    100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
    200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
    204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
    208: "Already Reported", 226: "IM Used", 300: "Multiple Choices",
    301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
    410: "Gone", 411: "Length Required", 412: "Precondition Failed",
    413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
    416: "Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a teapot",
    421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
    424: "Failed Dependency", 426: "Upgrade Required", 428: "Precondition Required",
    429: "Too Many Requests", 431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
    510: "Not Extended", 511: "Network Authentication Required",
}  # fmt: skip
_CLASS_TEXT: Final = {2: "Successful", 3: "Redirection", 4: "Client Error", 5: "Server Error"}
NULL_BODY_STATUSES: Final = frozenset({101, 204, 205, 304})
REDIRECT_STATUSES: Final = (301, 302, 303, 307, 308)


def status_text(status: int) -> str:
    """workerd's status text for ``status``: never empty for 200..599."""
    return _STATUS_TEXT.get(status) or _CLASS_TEXT.get(status // 100, "")


class HttpStatusError(OSError):
    """``raise_for_status()`` on a 4xx or 5xx response (``pyodide.http.HttpStatusError``)."""

    def __init__(self, status: int, status_text: str, url: str) -> None:
        self.status, self.status_text, self.url = status, status_text, url
        kind = {4: "Client Error", 5: "Server Error"}.get(status // 100)
        what = kind or "Invalid error code not between 400 and 599"
        super().__init__(f"{status} {what}: {status_text} for url: {url}")
