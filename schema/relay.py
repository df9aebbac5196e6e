"""Relay's conventions, shared by every type: the `Node` interface (global object identification)
and `PageInfo` (cursor connections).

Our own small interface, not strawberry.relay's: its global ids are `base64("Type:key")` built
from the GraphQL type name, which would change `Subject.id` (already opaque and unforgeable, the
federation key: domain/subject_ids.py) and tie ids to type names; and its connections slice
offsets, where ours are SQL keyset pages batched through dataloaders. resolvers/node_ids.py
makes the ids; schema/nodes.py answers `node(id)` and `nodes(ids)`.
"""

from __future__ import annotations

from typing import Optional

import strawberry

NODE_ID_DESCRIPTION = ("The object's global id: opaque and stable, the same for every reader; refetch the object "
                       "with `node(id)` and pass it unchanged wherever an argument names this object.")


@strawberry.interface(description=(
    "An object with a global id (Relay global object identification): any of them can be refetched with "
    "`node(id)` or `nodes(ids)`, under the same access rules as the field that first returned it."))
class Node:
    @strawberry.field(description=NODE_ID_DESCRIPTION)
    def id(self) -> strawberry.ID:  # every implementation resolves its own
        raise NotImplementedError


@strawberry.type(description="Where a page of a connection lies in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow: ask again with "
                                                       "`after: endCursor`.")
    has_previous_page: bool = strawberry.field(description="Whether items precede this page (true when `after` "
                                                           "was given and named a position).")
    start_cursor: Optional[str] = strawberry.field(description="The cursor of the page's first item; null when "
                                                               "the page is empty.")
    end_cursor: Optional[str] = strawberry.field(description="The cursor to pass as `after` for the next page; "
                                                             "null when the page is empty.")


FIRST_DESCRIPTION = "How many items to return: 1 to 100 (default 20)."
AFTER_DESCRIPTION = "Return the items after this cursor: a previous page's `pageInfo.endCursor`."


def page_info(cursors: list[str], has_next: bool, after: Optional[str], end_cursor: Optional[str] = None) -> PageInfo:
    """A page's PageInfo from its edges' cursors (`end_cursor` when the page's position is not its
    last edge's, e.g. when rows the reader may not see were skipped)."""
    return PageInfo(has_next_page=has_next, has_previous_page=bool(after),
                    start_cursor=cursors[0] if cursors else None,
                    end_cursor=end_cursor if end_cursor is not None else (cursors[-1] if cursors else None))
