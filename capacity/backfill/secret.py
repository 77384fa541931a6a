"""A wrapper that keeps provider tokens out of logs, reprs, exceptions and JSON.

Tokens are read from "WorkspaceSettings" and only ever leave the process inside an
``Authorization`` header. Wrapping them as soon as they are read means an accidental
``%r``/``%s``/f-string, a dataclass repr, a traceback's locals or ``json.dumps``
shows ``Secret('***')`` or fails, instead of the token.
"""

from __future__ import annotations

import hashlib


class Secret:
    """An opaque secret string. ``reveal()`` is the only way to get the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The raw value, for building the one header that needs it."""
        return self._value

    def fingerprint(self) -> str:
        """A short, non-reversible id of the secret, usable as a dictionary key or in logs."""
        return hashlib.sha256(self._value.encode("utf-8")).hexdigest()[:12]

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


def secret_or_none(value: str | None) -> Secret | None:
    """Wrap a token column's value; NULL and blank strings mean "no token"."""
    if value is None:
        return None
    stripped = value.strip()
    return Secret(stripped) if stripped else None
