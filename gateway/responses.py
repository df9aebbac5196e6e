"""The one shape of an HTTP-level error: GraphQL-style, so clients handle it like any other error."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def error_response(status: int, message: str, code: str, *, headers: dict[str, str] | None = None,
                   **extensions: Any) -> JSONResponse:
    """`{"errors": [{"message", "extensions": {"code", ...}}]}` with `status`; never any data."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
                        status_code=status, headers=headers)
