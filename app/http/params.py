"""Path, query and header parameters shared by the routes: bounded, so bad input is a 422, never a 500."""

from typing import Annotated

from fastapi import Header, Path, Query

IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The ETag from your last GET; the write is refused with 412 if it is no longer current",
    ),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (1-500)")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="next_cursor from the previous page; omit for the first page"),
]
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
SearchText = Annotated[
    str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", description="Free-text search")
]
MunicipalityPath = Annotated[str, Path(pattern=r"^[0-9]{4}$", description="4-digit municipality number")]
