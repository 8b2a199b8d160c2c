"""The single error type of the domain layer.

Callers (REST handlers, the WebSocket gateway) turn it into `{"error": {"code", "message"}}`, so
`code` must be one of the stable codes of `docs/protocol.md` and `message` is shown to the user as is.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an input.

    `code` is stable and machine-readable; `message` is French text meant for the person who typed
    the input, so it explains what to change rather than what went wrong internally.
    """

    code: str
    message: str

    def __init__(self, code: str, message: str) -> None:
        # Both go into `args` so that the error survives pickling (worker pools, test reports).
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
