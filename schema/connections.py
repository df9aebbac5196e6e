"""The Relay connections of Query's growing lists: subjects found by name, a subject's authorisations,
the registered query permits. Each page is one keyset statement (resolvers/pages.py,
resolvers/subjects.py); `first` is 1 to 100 everywhere (resolvers/bounds.py).

They replace 0.1.0's plain lists (`searchSubjects`, `myAuthorizations`, `queryPermits`), which
stay, deprecated, for one release: a client that works keeps working (CHANGELOG).
"""

from __future__ import annotations

from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from resolvers import authorizations as authorization_resolvers
from resolvers import permits as permit_resolvers
from resolvers import subjects as subject_resolvers
from resolvers.bounds import DEFAULT_FIRST
from schema.authorizations import AuthorizationType
from schema.permits import QueryPermitType
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, PageInfo, page_info
from schema.types import SubjectType

First = Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)]


@strawberry.type(description="One subject found by name, with its cursor.")
class SubjectEdge:
    cursor: str = strawberry.field(description="The subject's position: pass it as `after` for the ones after it.")
    node: SubjectType = strawberry.field(description="The subject.")


@strawberry.type(description="A page of subjects found by name, in name order. No total: counting what the reader "
                             "may see would cost a second search.")
class SubjectConnection:
    edges: list[SubjectEdge] = strawberry.field(description="The page's subjects, by name then code. A page may "
                                                            "hold fewer than `first` (persons the reader may not "
                                                            "see are skipped); go on while `hasNextPage`.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")


@strawberry.type(description="One authorisation in a page, with its cursor.")
class AuthorizationEdge:
    cursor: str = strawberry.field(description="The authorisation's position: pass it as `after` for older ones.")
    node: AuthorizationType = strawberry.field(description="The authorisation.")


@strawberry.type(description="A page of the calling subject's authorisations, newest first (HC-22).")
class AuthorizationConnection:
    total_count: int = strawberry.field(description="How many authorisations the subject has given, revoked ones "
                                                    "included.")
    edges: list[AuthorizationEdge] = strawberry.field(description="The page's authorisations, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")


@strawberry.type(description="One query permit in a page, with its cursor.")
class QueryPermitEdge:
    cursor: str = strawberry.field(description="The permit's position: pass it as `after` for older ones.")
    node: QueryPermitType = strawberry.field(description="The permit.")


@strawberry.type(description="A page of registered query permits, newest registration first (HC-23, XZ-18).")
class QueryPermitConnection:
    total_count: int = strawberry.field(description="How many permits match the arguments.")
    edges: list[QueryPermitEdge] = strawberry.field(description="The page's permits, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")


async def subject_search(info: Info, name: Annotated[str, strawberry.argument(
        description="Part of the name (1 to 100 characters), matched anywhere in it.")],
        first: First = DEFAULT_FIRST, after: After = None) -> SubjectConnection:
    page = await subject_resolvers.search_page(info.context, name, first, after)
    edges = [SubjectEdge(cursor=info.context.subject_ids.id_of(row.code), node=SubjectType(row=row))
             for row in page.rows]
    return SubjectConnection(edges=edges, page_info=page_info([e.cursor for e in edges], page.has_next, after,
                                                              page.end_cursor))


async def authorizations_given(info: Info, first: First = DEFAULT_FIRST, after: After = None) -> AuthorizationConnection:
    page = await authorization_resolvers.authorization_page(info.context, first, after)
    edges = [AuthorizationEdge(cursor=str(row.id), node=AuthorizationType(row=row)) for row in page.rows]
    return AuthorizationConnection(total_count=page.total, edges=edges,
                                   page_info=page_info([e.cursor for e in edges], page.has_next, after))


async def registered_query_permits(
        info: Info,
        department: Annotated[Optional[strawberry.ID], strawberry.argument(
            description="Only this department's permits (its code).")] = None,
        valid_only: Annotated[bool, strawberry.argument(
            description="Only permits valid now (not revoked, within their validity).")] = False,
        first: First = DEFAULT_FIRST, after: After = None) -> QueryPermitConnection:
    page = await permit_resolvers.permit_page(info.context, str(department) if department else None, valid_only,
                                              first, after)
    edges = [QueryPermitEdge(cursor=str(row.id), node=QueryPermitType(row=row)) for row in page.rows]
    return QueryPermitConnection(total_count=page.total, edges=edges,
                                 page_info=page_info([e.cursor for e in edges], page.has_next, after))
