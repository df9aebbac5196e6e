"""The parsed and validated documents of the queries clients repeat, and none of those they do not.

Parsing and validating cost 0.7–1.8 ms a request, five times what a small query costs to execute,
so repeated documents (a department application sends the same few) must be cached. But a cache
that takes every text it is sent is the attacker's: each parsed document is thousands of
long-lived objects whose tokens form cycles, and 512 unique hostile documents made the garbage
collector's full collections pause every request for 0.1–0.7 s (bench/hostile_documents.py).
So a text is admitted only on its second sighting and only once it has validated; a text seen
once is remembered by its hash alone (a string, which the collector does not track). Unique
documents — hostile or not — are parsed, judged and dropped while young.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from threading import Lock

from graphql import DocumentNode

MAX_DOCUMENTS = 512
MAX_CACHED_CHARS = 16_384  # the longest text worth keeping; longer ones are parsed each time
MAX_SIGHTINGS = 8_192  # hashes of texts seen once, waiting for a second sighting


class DocumentCache:
    """An LRU of validated documents keyed by their text, admitting a text on its second sighting."""

    def __init__(self, max_documents: int = MAX_DOCUMENTS, max_chars: int = MAX_CACHED_CHARS,
                 max_sightings: int = MAX_SIGHTINGS) -> None:
        self.max_documents, self.max_chars, self.max_sightings = max_documents, max_chars, max_sightings
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._sightings: OrderedDict[bytes, None] = OrderedDict()
        self._lock = Lock()
        self.hits = self.misses = 0

    def get(self, query: str | None) -> DocumentNode | None:
        """The validated document of `query`, if it was admitted."""
        if query is None:
            return None
        with self._lock:
            document = self._documents.get(query)
            if document is None:
                self.misses += 1
                return None
            self._documents.move_to_end(query)
            self.hits += 1
            return document

    def validated(self, query: str | None, document: DocumentNode) -> None:
        """`query` parsed into `document` and passed validation: keep it if this is its second sighting."""
        if query is None or len(query) > self.max_chars:
            return
        digest = hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        with self._lock:
            if digest in self._sightings:  # its second sighting: admitted
                del self._sightings[digest]
                self._documents[query] = document
                if len(self._documents) > self.max_documents:
                    self._documents.popitem(last=False)
                return
            self._sightings[digest] = None
            if len(self._sightings) > self.max_sightings:
                self._sightings.popitem(last=False)

    def __len__(self) -> int:
        return len(self._documents)
