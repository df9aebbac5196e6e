"""Remote fields of Subject: the policies decide before any fetch (issue 18, SPEC 3.1).

A remote field is bound at admission to a catalogue item I. The reader may see it for subject S
exactly when it could see a stored record of item I about S: the record's class is the item's
class for S's kind (`visibility_for`), and the request's scope — the general (class, item) pairs
its roles, department, purpose, basis and query permit open, or its rights over S itself (the
subject, a grantee, an operator's case) — must cover it. The general answer is decided once per
(item, subject kind) per request from the scope built before any field resolved; no Casbin call
here. A refused subject's code is never put in a RemoteWant, so it never reaches the source
(data minimisation); the field is null with FORBIDDEN at its path, like a refused stored field.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from domain.enums import SubjectKind
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, Forbidden
from resolvers.remote_loader import load_remote
from resolvers.remote_sources import RemoteFieldError, RemoteWant


def _general(context: RequestContext, item_code: str, kind: str) -> tuple[str | None, bool]:
    """(the class a record of the item about this kind of subject has, whether the general pairs open it);
    class None when the item does not apply to the kind. Once per (item, kind) per request."""
    decisions = context.remote_decisions
    key = (item_code, kind)
    if key not in decisions:
        item = context.profile.items.get(item_code) if context.profile is not None else None
        if item is None or SubjectKind(kind) not in item.subject_kinds:
            decisions[key] = (None, False)
        else:
            cls = item.visibility_for(SubjectKind(kind)).value
            scope = context.scope
            decisions[key] = (cls, scope.all_records or scope.general.covers(cls, item_code))
    return decisions[key]


def may_see(context: RequestContext, item_code: str, subject_code: str, kind: str) -> bool:
    """Whether a stored record of `item_code` about this subject would be visible to the reader."""
    cls, general = _general(context, item_code, kind)
    if cls is None:
        return False
    if general:
        return True
    right = context.scope.right_for(subject_code)
    return right is not None and right.pairs.covers(cls, item_code)


def _refusal(context: RequestContext, field: str, item_code: str, kind: str, path: list) -> Forbidden:
    cls, _ = _general(context, item_code, kind)
    reader = context.access.reader if context.access is not None else None
    who = f"roles {', '.join(reader.roles)}, department {reader.dept or '-'}, condition {reader.cond}" \
        if reader is not None else "the public"
    why = (f"catalogue item {item_code} does not apply to {kind}" if cls is None else
           f"it is live information of catalogue item {item_code} (class {cls}), and you ({who}) may not read "
           f"records of that item about this subject (SPEC 3.1; declare X-Query-Purpose and X-Query-Basis if your "
           "role reads non-public records)")
    return Forbidden(f"field Subject.{field} refused: {why}; the source was not asked",
                     rule=f"read:{cls or '-'}:{item_code}", path="/".join(str(p) for p in path))


async def resolve_remote(context: RequestContext, source_name: str, field: str, subject_code: str, kind: str,
                         selection: str, path: list, as_of=None) -> Any:
    """The remote field's value for one subject, or null with FORBIDDEN / the source's failure code.
    A subject read `asOf` a past day gets none: a live source answers for now, never for a past day."""
    if as_of is not None:
        raise BadUserInput(f"Subject.{field} is live information from source {source_name}: it has no history, so "
                           "it is not answered for a subject read with asOf; ask it without asOf")
    source = context.remote_sources.get(source_name)
    if source is None or field not in source.fields:
        raise remote_failure("SOURCE_UNAVAILABLE", f"source {source_name} is not admitted any more")
    item_code = source.fields[field]
    if not may_see(context, item_code, subject_code, kind):
        raise _refusal(context, field, item_code, kind, path)
    context.observed.subjects.add(subject_code)
    want = RemoteWant(source=source_name, code=subject_code, field=field, selection=selection)
    try:
        return await load_remote(context, want)  # one call per source per request (resolvers/remote_loader.py)
    except RemoteFieldError as failure:
        raise remote_failure(failure.code, str(failure)) from None


def remote_failure(code: str, message: str) -> GraphQLError:
    """A source's failure as the client sees it: null at the field's path, with the code (issue 18)."""
    return GraphQLError(message, extensions={"code": code})
