"""What bytes that are not UTF-8 are: UTF-16/32 (by byte-order mark or NUL pattern), or an 8-bit code page.

Used to word the error for a source that cannot be read as UTF-8, so the user learns
what the file is and how to convert it, instead of "looks binary".
"""

from __future__ import annotations

from dataclasses import dataclass

BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)
"""Byte-order marks, longest first (UTF-32LE's starts like UTF-16LE's)."""

_CP1252_ONLY = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}
"""Bytes that are printable in cp1252 (curly quotes, dashes, euro) but control characters in latin-1."""


@dataclass(frozen=True)
class Guess:
    """The likely encoding of some bytes: a name for people and the name ``iconv`` knows."""

    name: str
    iconv: str
    bom: bool = False

    @property
    def wide(self) -> bool:
        """UTF-16 or UTF-32: every character is two or four bytes (a byte position means little to people)."""
        return self.iconv.startswith("UTF-")

    def advice(self, path: str = "FILE") -> str:
        """What the file is and how to convert it to UTF-8, in one clause."""
        what = f"{self.name}{' with a byte-order mark' if self.bom else ''}"
        return f"is {what}, not UTF-8; convert it: iconv -f {self.iconv} -t UTF-8 {path} > {path}.utf8"


def _nul_pattern(head: bytes) -> Guess | None:
    """UTF-16/32 without a byte-order mark: mostly-ASCII text has NULs at fixed places in each code unit."""
    n = len(head) - len(head) % 4
    if n < 8:
        return None
    units = [head[i::4][: n // 4] for i in range(4)]
    zero = [u.count(0) / len(u) for u in units]
    if zero[1] > 0.9 and zero[2] > 0.9 and zero[3] > 0.9 and zero[0] < 0.1:
        return Guess("UTF-32 (little-endian)", "UTF-32LE")
    if zero[0] > 0.9 and zero[1] > 0.9 and zero[2] > 0.9 and zero[3] < 0.1:
        return Guess("UTF-32 (big-endian)", "UTF-32BE")
    odd, even = head[1:n:2], head[0:n:2]
    if odd.count(0) / len(odd) > 0.4 and even.count(0) / len(even) < 0.05:
        return Guess("UTF-16 (little-endian)", "UTF-16LE")
    if even.count(0) / len(even) > 0.4 and odd.count(0) / len(odd) < 0.05:
        return Guess("UTF-16 (big-endian)", "UTF-16BE")
    return None


def guess(raw: bytes) -> Guess | None:
    """The likely encoding of bytes that are not UTF-8 text; None when they look binary."""
    for bom, name in BOMS:
        if raw.startswith(bom):
            endian = "little-endian" if name.endswith("LE") else "big-endian"
            return Guess(f"{name[:6]} ({endian})", name, bom=True)
    head = raw[:65536]
    found = _nul_pattern(head)
    if found is not None:
        return found
    if b"\x00" in head:
        return None
    if any(b in _CP1252_ONLY for b in raw):
        return Guess("Windows-1252 (cp1252)", "CP1252")
    return Guess("Latin-1 (ISO-8859-1)", "ISO-8859-1")
