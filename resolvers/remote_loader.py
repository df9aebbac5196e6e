"""Remote fields, batched: one `_entities` call per source per request (issue 18).

A remote field's resolver awaits `load_remote(context, want)` once the policies have let the reader
see that field of that subject. The request's loader for the source collects every want made in the
same tick of the event loop (however many subjects and fields the query names) and hands them,
de-duplicated by (subject code, field, selection), to the request's RemoteFetcher in one batch; the
fetcher makes one call of them. A want whose value could not be had raises its RemoteFieldError.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader

from resolvers.remote_sources import SOURCE_UNAVAILABLE, RemoteFieldError, RemoteWant

if TYPE_CHECKING:
    from resolvers.context import RequestContext


async def _batch(context: "RequestContext", source_name: str, wants: list[RemoteWant]) -> list[Any]:
    source = context.remote_sources.get(source_name)
    if source is None or context.remote_fetcher is None:
        return [RemoteFieldError(SOURCE_UNAVAILABLE, f"the source {source_name} is not admitted here")
                for _ in wants]
    # the fetcher never raises for a source's failure; an error value is raised to its own want by the loader
    return await context.remote_fetcher.fetch(source, wants, context)


def _loader(context: "RequestContext", source_name: str) -> DataLoader:
    loaders = context.loaders.remote
    if source_name not in loaders:
        # RemoteWant is frozen, so equal wants share one key: de-duplicated before the batch is formed
        loaders[source_name] = DataLoader(partial(_batch, context, source_name), max_batch_size=None)
    return loaders[source_name]


async def load_remote(context: "RequestContext", want: RemoteWant) -> Any:
    """The value of one remote field of one subject, as its source answered it (JSON), or raise the
    RemoteFieldError (SOURCE_UNAVAILABLE / SOURCE_TIMEOUT / SOURCE_INVALID) that replaces it."""
    return await _loader(context, want.source).load(want)
