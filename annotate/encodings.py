"""Reading bytes in any encoding: UTF-8, UTF-16/32 (by byte-order mark or NUL pattern), an 8-bit code page.

:func:`guess` words the error for a source that cannot be read as UTF-8, so the user
learns what the file is and how to convert it, instead of "looks binary";
:func:`decode_document` reads a document being imported in whatever encoding it is in.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from .errors import AnnotateError

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


# --------------------------------------------------------------------------- reading documents in any encoding

UTF8_BOM = b"\xef\xbb\xbf"

_NON_ASCII = re.compile(rb"[\x80-\xff]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_LETTERS = re.compile(r"[^\W\d_]")

WESTERN_SHARE = 0.25
"""Text read as cp1252/latin-1 is taken as such when at most this share of its letters are not ASCII letters.

Western European text has accented letters here and there inside ASCII words; text in
another 8-bit code page (Cyrillic, Greek, CJK) read as cp1252 is non-ASCII almost throughout.
"""


@dataclass(frozen=True)
class Decoded:
    """A document's text (newlines as ``\\n``) and how its bytes were read, in words for the summary."""

    text: str
    encoding: str


def python_codec(name: str, where: str = "--encoding") -> str:
    """The Python codec for an encoding name people type (``cp1252``, ``latin-1``, ``utf-16``); an error if unknown."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise AnnotateError(f"unknown encoding {name!r} (try utf-8, cp1252, latin-1, utf-16)", where) from None


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def mostly_utf8(raw: bytes) -> bool:
    """True when the bytes hold at least as many well-formed UTF-8 sequences as stray non-ASCII bytes: damaged UTF-8.

    Text in cp1252 or latin-1 seldom holds a byte sequence that is valid UTF-8 (it reads
    as "Ã©"); UTF-8 with a few bytes of another encoding pasted in holds many.
    """
    sequences = _UTF8_SEQUENCE.findall(raw)
    stray = len(_NON_ASCII.findall(raw)) - sum(len(s) for s in sequences)
    return 0 < len(sequences) >= stray


def detect(raw: bytes) -> Guess | None:
    """The encoding of bytes that are not valid UTF-8: a byte-order mark, UTF-16/32 by NUL pattern,
    Western (cp1252 or latin-1), else charset-normalizer's guess; None when they look binary.

    cp1252 and latin-1 are decided here, not by charset-normalizer: measured on news text,
    charset-normalizer 3.5 reads cp1252 with curly quotes as mac_latin2 and latin-1 French
    as cp775, while the share of non-ASCII letters separates Western text from other code pages.
    """
    found = guess(raw)
    if found is None or found.wide or found.bom:
        return found
    text = raw[:65536].decode(found.iconv, "replace")
    letters = _LETTERS.findall(text)
    non_ascii = sum(1 for ch in letters if ord(ch) > 127)
    if non_ascii <= WESTERN_SHARE * max(len(letters), 1):
        return found
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency; without it, the Western guess stands
        return found
    best = from_bytes(raw[:1 << 20]).best()
    if best is None:
        return found
    return Guess(f"{best.encoding} (detected)", best.encoding.upper())


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    return line, offset - (raw.rfind(b"\n", 0, offset) + 1) + 1


def decode_document(raw: bytes, where: str, encoding: str | None = None) -> Decoded:
    """A document's bytes as text: UTF-8 (with or without BOM), UTF-16/32 with a BOM, a detected
    8-bit encoding, or ``encoding`` when given; CRLF and CR become LF.

    Bytes that cannot be read are an :class:`AnnotateError` naming the line, column and why.
    """
    if encoding is not None:
        codec = python_codec(encoding)
        return Decoded(_decode(raw, codec, where).removeprefix("\ufeff"), f"{encoding} (given)")
    if raw.startswith(UTF8_BOM):
        return Decoded(_decode(raw[3:], "utf-8", where), "UTF-8 with a byte-order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _decode_detected(raw, where, exc)
    if "\x00" in text[:65536]:  # UTF-16/32 without a BOM is valid UTF-8 when mostly ASCII
        found = detect(raw)
        if found is None:
            raise AnnotateError("looks binary (contains NUL bytes), not text", where)
        return Decoded(_decode(raw, found.iconv, where), found.name)
    return Decoded(normalize_newlines(text), "UTF-8")


def _decode_detected(raw: bytes, where: str, exc: UnicodeDecodeError) -> Decoded:
    found = detect(raw)
    if found is None:
        raise AnnotateError("looks binary (contains NUL bytes), not text", where) from None
    if not found.wide and mostly_utf8(raw):
        line, col = _position(raw, exc.start)
        raise AnnotateError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}), though most of it is;"
                            " fix that byte or pass --encoding", where, line, col) from None
    text = _decode(raw, found.iconv, where).removeprefix("\ufeff")
    return Decoded(text, found.name + (" with a byte-order mark" if found.bom else ""))


def _decode(raw: bytes, codec: str, where: str) -> str:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line, col = _position(raw, exc.start) if codec.replace("_", "-").lower().startswith("utf-8") else (None, None)
        raise AnnotateError(f"cannot be read as {codec}: {exc.reason} at byte {exc.start}", where, line,
                            col) from None
    if "\x00" in text:
        raise AnnotateError(f"read as {codec} it has NUL characters: not text in that encoding", where)
    return normalize_newlines(text)
