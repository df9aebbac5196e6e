"""What a GraphQL document costs, measured after parsing and before graphql-core validates it.

Hostile input is refused with a clear error and harms no other request (SPEC 3.6, issue 10). A
1 KB document can spread a fragment twice per level, thirty levels deep: 2^30 selections once
expanded. Anything that walks the expansion (strawberry's depth and alias limiters did) freezes
the server, so every measure here is computed once per fragment and reused at each spread:
the work is linear in the document's text, whatever it expands to. Fragment cycles are found
by an iterative walk and refused, never followed.

Measured per definition (operation or fragment, as expanded through its fragments): depth
(as strawberry's QueryDepthLimiter counts it: introspection fields do not count), aliases,
field selections, fragment spreads, and nesting (every selection set, introspection included).
Per document: operations, fragments, directives, and the pairs of same-named fields (or
fragments) that graphql-core's OverlappingFieldsCanBeMerged rule must compare, which grow with
the square of their number at one level.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

CODE = "QUERY_TOO_COMPLEX"
# Counts stop growing here: past any limit, and small enough to print.
CEILING = 10**9


@dataclass(frozen=True)
class DocumentLimits:
    """The most a document may ask for; the first four are settings (gateway/settings.py)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_fields: int = 1000  # field selections of one operation, fragments expanded
    max_spreads: int = 200  # fragment spreads of one operation, expanded
    max_merge_pairs: int = 100  # same-named fields / fragments at one level, compared pairwise
    max_nesting: int = 40  # selection sets within selection sets, introspection included
    max_operations: int = 20
    max_fragments: int = 100
    max_directives: int = 100


@dataclass(frozen=True)
class Refusal:
    """Why a document is refused: kept in the verdict cache, turned into a fresh error per request."""

    measure: str
    message: str
    limit: int | None = None
    measured: int | None = None

    def error(self) -> GraphQLError:
        extensions: dict = {"code": CODE, "measure": self.measure}
        if self.limit is not None:
            extensions["limit"] = self.limit
            extensions["measured"] = self.measured
        return GraphQLError(self.message, extensions=extensions)


@dataclass(frozen=True)
class Cost:
    """One definition's measures, its fragments expanded (each capped at CEILING)."""

    depth: int = 0
    nesting: int = 0
    fields: int = 0
    aliases: int = 0
    spreads: int = 0


def assess(document: DocumentNode, limits: DocumentLimits) -> Refusal | None:
    """The first limit the document exceeds, or None: linear in the document's size."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)  # duplicates: validation names them
    fragment_count = sum(isinstance(d, FragmentDefinitionNode) for d in document.definitions)
    if len(operations) > limits.max_operations:
        return _over("operations", limits.max_operations, len(operations),
                     f"The document defines {len(operations)} operations; at most {limits.max_operations} "
                     "are allowed. Send one operation per request.")
    if fragment_count > limits.max_fragments:
        return _over("fragments", limits.max_fragments, fragment_count,
                     f"The document defines {fragment_count} fragments; at most {limits.max_fragments} "
                     "are allowed. Define fewer, larger fragments.")
    literal = _literal_shape(document)
    if literal.directives > limits.max_directives:
        return _over("directives", limits.max_directives, literal.directives,
                     f"The document uses {literal.directives} directives; at most {limits.max_directives} "
                     "are allowed.")
    if literal.merge_pairs > limits.max_merge_pairs:
        return _over("mergePairs", limits.max_merge_pairs, literal.merge_pairs,
                     f"The document repeats the same field or fragment at one level so often that "
                     f"{literal.merge_pairs} pairs must be compared (at most {limits.max_merge_pairs}); "
                     f"'{literal.most_repeated}' is repeated most. Select each field once per level.")

    order = _fragment_order(fragments)
    if isinstance(order, Refusal):
        return order
    costs: dict[str, Cost] = {}
    for name in order:
        costs[name] = _selection_cost(fragments[name].selection_set, costs)
        refusal = _over_limits(f"Fragment '{name}'", costs[name], limits)
        if refusal is not None:
            return refusal
    for operation in operations:
        label = f"Operation '{operation.name.value if operation.name else 'anonymous'}'"
        refusal = _over_limits(label, _selection_cost(operation.selection_set, costs), limits)
        if refusal is not None:
            return refusal
    expanded = _expanded_merge_pairs(document, fragments, order)
    if expanded.merge_pairs > limits.max_merge_pairs:
        return _over("mergePairs", limits.max_merge_pairs, expanded.merge_pairs,
                     f"The fragments spread at one level repeat the same field so often that "
                     f"{_amount(expanded.merge_pairs)} pairs must be compared (at most {limits.max_merge_pairs}); "
                     f"'{expanded.most_repeated}' is repeated most. Spread fewer fragments that select the "
                     "same fields.")
    return None


def _over(measure: str, limit: int, measured: int, message: str) -> Refusal:
    return Refusal(measure=measure, message=message, limit=limit, measured=measured)


def _over_limits(label: str, cost: Cost, limits: DocumentLimits) -> Refusal | None:
    if cost.depth > limits.max_depth:
        # strawberry's QueryDepthLimiter said "'<name>' exceeds maximum operation depth of N"
        return _over("depth", limits.max_depth, cost.depth,
                     f"{label} exceeds maximum operation depth of {limits.max_depth} (it is {cost.depth} "
                     "deep). Ask for less nested data, or in several requests.")
    if cost.aliases > limits.max_aliases:
        # strawberry's MaxAliasesLimiter said "N aliases found. Allowed: M"
        return _over("aliases", limits.max_aliases, cost.aliases,
                     f"{label}: {_amount(cost.aliases)} aliases found. Allowed: {limits.max_aliases}. "
                     "Ask for lists (e.g. subjects(codes: [...])) instead of aliased copies.")
    if cost.fields > limits.max_fields:
        return _over("fields", limits.max_fields, cost.fields,
                     f"{label} selects {_amount(cost.fields)} fields once its fragments are expanded; "
                     f"at most {limits.max_fields} are allowed. Spread each fragment once.")
    if cost.spreads > limits.max_spreads:
        return _over("spreads", limits.max_spreads, cost.spreads,
                     f"{label} spreads fragments {_amount(cost.spreads)} times once expanded; "
                     f"at most {limits.max_spreads} are allowed.")
    if cost.nesting > limits.max_nesting:
        return _over("nesting", limits.max_nesting, cost.nesting,
                     f"{label} nests selections {cost.nesting} deep; at most {limits.max_nesting} are allowed.")
    return None


def _amount(count: int) -> str:
    return f"more than {CEILING:,}" if count >= CEILING else str(count)


def _fragment_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str] | Refusal:
    """Fragments in an order where each comes after those it spreads; a cycle is refused.

    Iterative depth-first walk (no recursion, each fragment entered once).
    """
    spreads = {name: _spread_names(fragment.selection_set) for name, fragment in fragments.items()}
    order: list[str] = []
    done: set[str] = set()
    for root in fragments:
        if root in done:
            continue
        path = [root]
        pending = [iter(spreads[root])]
        on_path = {root}
        while pending:
            for target in pending[-1]:
                if target not in fragments or target in done:
                    continue  # unknown fragments are for validation to name
                if target in on_path:
                    cycle = [*path[path.index(target):], target]
                    return Refusal(measure="fragmentCycle",
                                   message=f"Cannot spread fragment '{target}' within itself "
                                           f"({' -> '.join(cycle)}). Remove the cycle.")
                path.append(target)
                pending.append(iter(spreads[target]))
                on_path.add(target)
                break
            else:
                name = path.pop()
                pending.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _spread_names(selection_set: SelectionSetNode) -> list[str]:
    names: list[str] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif selection.selection_set is not None:
                stack.append(selection.selection_set)
    return names


def _selection_cost(selection_set: SelectionSetNode, fragments: dict[str, Cost]) -> Cost:
    """The cost of a selection set, its spreads taken from `fragments` (already computed).

    Recursion follows the nesting within one definition only, which the parser bounds.
    """
    depth = nesting = fields = aliases = spreads = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields += 1
            aliases += selection.alias is not None
            if selection.selection_set is None:
                continue
            inner = _selection_cost(selection.selection_set, fragments)
            if not selection.name.value.startswith("__"):  # introspection does not count (as strawberry)
                depth = max(depth, inner.depth + 1)
        elif isinstance(selection, InlineFragmentNode):
            inner = _selection_cost(selection.selection_set, fragments)
            depth = max(depth, inner.depth)
        else:
            spreads += 1
            inner = fragments.get(selection.name.value)
            if inner is None:
                continue
            depth = max(depth, inner.depth)
        nesting = max(nesting, inner.nesting + 1)
        fields += inner.fields
        aliases += inner.aliases
        spreads += inner.spreads
    return Cost(depth=depth, nesting=nesting, fields=min(fields, CEILING), aliases=min(aliases, CEILING),
                spreads=min(spreads, CEILING))


@dataclass
class _LiteralShape:
    directives: int = 0
    merge_pairs: int = 0
    most_repeated: str = ""


def _literal_shape(document: DocumentNode) -> _LiteralShape:
    """Directives, and the pairs OverlappingFieldsCanBeMerged compares level by level.

    At each level (inline fragments flattened into it, as graphql-core does) n fields with one
    response name make n(n-1)/2 comparisons, and n fragment spreads as many.
    """
    shape = _LiteralShape()
    worst = 0
    for definition in document.definitions:
        shape.directives += len(getattr(definition, "directives", None) or ())
        for variable in getattr(definition, "variable_definitions", None) or ():
            shape.directives += len(variable.directives or ())
        selection_set = getattr(definition, "selection_set", None)
        if selection_set is None:
            continue
        levels = [[selection_set]]
        while levels:
            by_name: dict[str, int] = {}
            spread_count = 0
            pending = levels.pop()
            while pending:
                for selection in pending.pop().selections:
                    shape.directives += len(selection.directives or ())
                    if isinstance(selection, FieldNode):
                        name = selection.alias.value if selection.alias else selection.name.value
                        by_name[name] = by_name.get(name, 0) + 1
                        if selection.selection_set is not None:
                            levels.append([selection.selection_set])
                    elif isinstance(selection, InlineFragmentNode):
                        pending.append(selection.selection_set)
                    else:
                        spread_count += 1
            for name, count in [*by_name.items(), ("fragment spreads", spread_count)]:
                if count > worst:
                    worst, shape.most_repeated = count, name
                shape.merge_pairs += count * (count - 1) // 2
    return shape


def _expanded_merge_pairs(document: DocumentNode, fragments: dict[str, FragmentDefinitionNode],
                          order: list[str]) -> _LiteralShape:
    """The pairs OverlappingFieldsCanBeMerged compares when the fields a level gets through its
    fragment spreads are counted too (30 fragments each selecting `departments`, spread side by
    side, make 435 comparisons of `departments` that the literal count does not see).

    Each fragment's top-level response names are counted once, in `order` (spread fragments first).
    """
    tops: dict[str, dict[str, int]] = {}
    for name in order:
        tops[name] = _level_names([fragments[name].selection_set], tops)
    shape = _LiteralShape()
    worst = 0
    for definition in document.definitions:
        selection_set = getattr(definition, "selection_set", None)
        if selection_set is None:
            continue
        levels = [[selection_set]]
        while levels:
            pending = levels.pop()
            for name, count in _level_names(pending, tops, levels).items():
                if count > worst:
                    worst, shape.most_repeated = count, name
                shape.merge_pairs = min(shape.merge_pairs + count * (count - 1) // 2, CEILING)
    return shape


def _level_names(pending: list[SelectionSetNode], tops: dict[str, dict[str, int]],
                 deeper: list | None = None) -> dict[str, int]:
    """Response names selected at one level (inline fragments flattened, spreads taken from `tops`);
    the selection sets one level down are added to `deeper` when given."""
    names: dict[str, int] = {}
    pending = list(pending)
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                name = selection.alias.value if selection.alias else selection.name.value
                names[name] = min(names.get(name, 0) + 1, CEILING)
                if deeper is not None and selection.selection_set is not None:
                    deeper.append([selection.selection_set])
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            else:
                for name, count in tops.get(selection.name.value, {}).items():
                    names[name] = min(names.get(name, 0) + count, CEILING)
    return names
