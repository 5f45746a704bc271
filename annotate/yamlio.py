"""Reading YAML safely with file:line errors, and writing label files fast and exactly."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import AnnotateError

try:  # libyaml's C loader/dumper when present: several times faster
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]

MAX_DEPTH = 64
"""Deeper nesting than this is refused: no file of ours needs it."""

# Characters YAML does not allow raw inside a double-quoted scalar (or folds as line breaks),
# beyond the control characters json.dumps already escapes.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


# Plain scalars that YAML 1.2 readers (not PyYAML's YAML 1.1) would load as numbers: quote them too.
_YAML12_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+")


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def quote(value: str) -> str:
    """``value`` as a YAML double-quoted scalar that loads back to exactly ``value``."""
    return _YAML_UNSAFE.sub(_escape, json.dumps(value, ensure_ascii=False))


@lru_cache(maxsize=4096)
def scalar(value: str) -> str:
    """``value`` as a plain scalar when that reads back unchanged, else double-quoted."""
    if (
        value
        and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.@/-]*", value)
        and not _YAML12_NUMBER.fullmatch(value)
    ):
        try:
            if yaml.load(value, Loader=SafeLoader) == value:
                return value
        except yaml.YAMLError:  # pragma: no cover - the pattern above keeps this out
            pass
    return quote(value)


def emit(value: Any, indent: str = "") -> str:
    """A YAML fragment for a scalar value (str, bool, int, float, None)."""
    if type(value) is str:
        return scalar(value)
    if type(value) is int:
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text:  # YAML 1.1 floats need a dot: write it positionally
            text = f"{Decimal(text):f}"
            if "." not in text:
                text += ".0"
        return text
    if isinstance(value, str):
        return scalar(value)
    raise TypeError(f"cannot emit {type(value).__name__}")  # pragma: no cover


def dump_mapping_items(items: dict[str, Any], indent: str, first_prefix: str) -> list[str]:
    """Lines for a mapping; the first line starts with ``first_prefix`` (``- `` in a list)."""
    lines: list[str] = []
    prefix = first_prefix
    for key, value in items.items():
        k = scalar(key)
        if isinstance(value, dict):
            if not value:
                lines.append(f"{prefix}{k}: {{}}")
            else:
                lines.append(f"{prefix}{k}:")
                lines.extend(dump_mapping_items(value, indent + "  ", indent + "  "))
        elif isinstance(value, list):
            if not value:
                lines.append(f"{prefix}{k}: []")
            else:
                lines.append(f"{prefix}{k}:")
                lines.extend(dump_list(value, indent))
        else:
            lines.append(f"{prefix}{k}: {emit(value)}")
        prefix = indent
    return lines


def dump_list(items: list[Any], indent: str) -> list[str]:
    """Lines for a block list at ``indent`` (items of mappings open with ``- ``)."""
    lines: list[str] = []
    for item in items:
        if isinstance(item, dict) and item:
            lines.extend(dump_mapping_items(item, indent + "  ", indent + "- "))
        elif isinstance(item, (dict, list)):
            flow = yaml.dump(item, Dumper=SafeDumper, default_flow_style=True, width=1 << 30).strip()
            lines.append(f"{indent}- {flow}")
        else:
            lines.append(f"{indent}- {emit(item)}")
    return lines


def dump_document(data: dict[str, Any], header: str = "") -> str:
    """A whole YAML document for ``data`` (plain dicts, lists and scalars), with a header comment.

    Much faster than ``yaml.dump`` on big label files (it writes our shape directly),
    and tested to load back to exactly ``data``.
    """
    lines = [header.rstrip("\n")] if header else []
    lines.extend(dump_mapping_items(data, "", ""))
    return "\n".join(lines) + "\n"


def _check_shape(data: Any, path: Path) -> None:
    """Refuse aliases of containers (alias bombs) and absurd nesting before anything walks the data."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise AnnotateError(f"nesting deeper than {MAX_DEPTH} levels", path)
            if id(node) in seen:
                raise AnnotateError("YAML aliases of lists or mappings are not allowed here", path)
            seen.add(id(node))
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children)


def _precheck_nesting(text: str, path: Path) -> None:
    """Refuse flow nesting so deep that the parser itself could exhaust the stack."""
    depth = 0
    worst = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            worst = max(worst, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    if worst > 4 * MAX_DEPTH:
        raise AnnotateError(f"nesting deeper than {MAX_DEPTH} levels", path)


def decode(raw: bytes, path: Path) -> str:
    """UTF-8 text of a YAML file (a BOM is allowed), or an error naming the line of the bad byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise AnnotateError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", path, line, col) from None


@lru_cache(maxsize=1)
def _parser_limits_nesting() -> bool:
    """True when the YAML parser refuses absurd nesting itself (libyaml >= 0.2.5 stops at 1,000 levels)."""
    try:
        yaml.load("[" * 2000 + "]" * 2000, Loader=SafeLoader)
    except yaml.YAMLError:
        return True
    except RecursionError:  # pragma: no cover - the pure-Python loader
        return False
    return False  # pragma: no cover


def load_yaml(text: str, path: Path) -> Any:
    """Parse one YAML document; syntax errors become ``file:line:column: problem``."""
    # When libyaml limits nesting the bracket pre-check is skipped: it also counts brackets inside
    # quoted strings, so a note with many "[" would make a file this tool wrote itself unreadable.
    if ("[" in text or "{" in text) and not _parser_limits_nesting():
        _precheck_nesting(text, path)
    try:
        data = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        data = _load_json(text)  # JSON is YAML 1.2, but PyYAML refuses its surrogate pairs ("\ud83d\udc4d")
        if data is _NOT_JSON:
            raise _yaml_error(exc, path) from None
    except RecursionError:
        raise AnnotateError(f"nesting deeper than {MAX_DEPTH} levels", path) from None
    except (ValueError, ArithmeticError, AttributeError, TypeError) as exc:
        # PyYAML's constructors: an int of over 4,300 digits, a date like 2001-13-45, a bad !!timestamp
        raise AnnotateError(f"YAML error: a value cannot be read ({exc})", path) from None
    _check_shape(data, path)
    return data


_NOT_JSON = object()


def _load_json(text: str) -> Any:
    """The document read as JSON when it is a JSON object (written by another program), else ``_NOT_JSON``."""
    if not text.lstrip().startswith("{"):
        return _NOT_JSON
    try:
        data = json.loads(text)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # a lone surrogate could never be written back
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return _NOT_JSON
    return data


def _yaml_error(exc: yaml.YAMLError, path: Path) -> AnnotateError:
    """PyYAML's error as ``file:line:column: problem``."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "YAML syntax error"
        if mark is not None:
            return AnnotateError(f"YAML syntax error: {problem}", path, mark.line + 1, mark.column + 1)
        return AnnotateError(f"YAML syntax error: {problem}", path)
    return AnnotateError(f"YAML error: {exc}", path)


def line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line where the value at ``loc`` (a pydantic error location) sits, if found."""
    try:
        node = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return None
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    node = v
                    best = k.start_mark.line + 1
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                best = node.start_mark.line + 1
            else:
                break
        else:
            break
    return best


def format_loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a readable path: ``sentences[3].label``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


# --------------------------------------------------------------------------- the fast path for many files


class _Unsupported(Exception):
    """The fast construction does not handle this node: take the careful path."""


_TAG = "tag:yaml.org,2002:"
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+")
_BOOL = yaml.constructor.SafeConstructor.bool_values


def _construct(node: yaml.Node, seen: set[int]) -> Any:
    """Plain data from a composed node, for the node kinds label files use; _Unsupported for the rest.

    The tags were resolved by PyYAML itself while composing; this only skips the
    general constructor's bookkeeping. ints and floats in anything but the plain
    decimal forms, timestamps, binary, merge keys, custom tags and aliases of
    mappings or lists (refused by yamlio anyway) go the careful way.
    """
    if isinstance(node, yaml.ScalarNode):
        tag, value = node.tag, node.value
        if tag == _TAG + "str":
            return value
        if tag == _TAG + "int" and _PLAIN_INT.fullmatch(value):
            return int(value)
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            return _BOOL[value.lower()]
        if tag == _TAG + "float" and _PLAIN_FLOAT.fullmatch(value):
            return float(value)
        raise _Unsupported(tag)
    if id(node) in seen:
        raise _Unsupported("alias")
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode) and node.tag == _TAG + "map":
        out = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode) or k.tag != _TAG + "str":
                raise _Unsupported("key")
            out[k.value] = _construct(v, seen)
        return out
    if isinstance(node, yaml.SequenceNode) and node.tag == _TAG + "seq":
        return [_construct(v, seen) for v in node.value]
    raise _Unsupported(node.tag)


def fast_load(raw: bytes) -> Any:
    """Plain data of a YAML document, or None when the careful path (:func:`load_yaml`) must read it.

    libyaml's parser and PyYAML's resolver, then a lean construction: about 40% faster than
    ``yaml.load`` on label files, with the same result for every file it accepts. No error
    is raised here: anything unusual (a BOM, deep flow nesting, tags, aliases) returns None.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return None
    if raw.count(b"[") + raw.count(b"{") > 4 * MAX_DEPTH:  # yamlio's guard against parser stack exhaustion
        return None
    try:
        node = yaml.compose(raw, Loader=SafeLoader)
        return None if node is None else _construct(node, set())
    except (yaml.YAMLError, RecursionError, ValueError, KeyError, _Unsupported):
        return None
