"""Three-way merge of a form that lost the race: what the user left alone takes what was saved meanwhile."""

from collections.abc import Container, Mapping
from typing import Any


def same_value(a: Any, b: Any) -> bool:
    """Equal as a form shows them (a posted '12' is the stored 12; blank is None; lists in any order)."""

    def plain(value: Any) -> Any:
        if value in (None, "", []):
            return None
        if isinstance(value, list | tuple):
            return sorted(str(v) for v in value)
        return str(value).strip() or None

    return bool(plain(a) == plain(b))


def merge_untouched(
    mine: Mapping[str, Any], then: Mapping[str, Any], now: Mapping[str, Any], skip: Container[str] = ()
) -> dict[str, Any]:
    """`mine` where the user changed a field from its value `then`; elsewhere its value `now`."""
    merged = dict(mine)
    for name, value in now.items():
        if name not in skip and name in then and same_value(mine.get(name), then[name]):
            merged[name] = value
    return merged
