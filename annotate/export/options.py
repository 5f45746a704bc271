"""Export options: one object holding every choice that decides the output, and the checks of the command's values."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import AnnotateError
from ..models import ANNOTATOR_PATTERN, GOLD, is_valid_annotator
from ..store import Project
from .writers import FORMAT_ALIASES, FORMATS, require_pyarrow

LABEL_MODES = ("majority", "gold", "all", "annotator:NAME")

SPLIT_NAMES = {1: ("train",), 2: ("train", "test"), 3: ("train", "dev", "test")}

DEFAULT_UNSURE_WEIGHT = Fraction(1, 2)
"""How much an unsure vote counts when nothing else is said (``--unsure-weight``)."""


@dataclass(frozen=True)
class ExportOptions:
    """Everything that decides the output (besides the label files themselves)."""

    out: Path
    labels: str = "majority"
    unsure_weight: Fraction = DEFAULT_UNSURE_WEIGHT
    min_annotators: int = 1
    min_agreement: float = 0.0
    split: tuple[tuple[str, int], ...] = (("train", 80), ("dev", 10), ("test", 10))
    seed: int = 0
    dedupe: bool = False
    context: int = 1
    formats: tuple[str, ...] = ("jsonl",)

    @property
    def mode(self) -> str:
        """``majority``, ``gold``, ``all`` or ``annotator``."""
        return "annotator" if self.labels.startswith("annotator:") else self.labels

    @property
    def annotator(self) -> str | None:
        """NAME of ``annotator:NAME``."""
        return self.labels.partition(":")[2] if self.mode == "annotator" else None

    @property
    def include_unsure(self) -> bool:
        """True when unsure labels count at all (a weight above 0)."""
        return self.unsure_weight > 0

    def to_json(self) -> dict[str, Any]:
        """The options as plain data (out is left out: it does not change the content)."""
        return {
            "labels": self.labels, "unsure_weight": float(self.unsure_weight),
            "min_annotators": self.min_annotators, "min_agreement": self.min_agreement,
            "split": {name: pct for name, pct in self.split}, "seed": self.seed, "dedupe": self.dedupe,
            "context": self.context, "formats": list(self.formats),
        }


def _int(option: str, value: str | int, minimum: int | None = None) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise AnnotateError(f"{option}: {value!r} is not a whole number") from None
    if minimum is not None and n < minimum:
        raise AnnotateError(f"{option}: must be at least {minimum}, not {n}")
    return n


def parse_split(value: str) -> tuple[tuple[str, int], ...]:
    """``80/10/10`` -> train/dev/test, ``90/10`` -> train/test, ``100`` -> train; must sum to 100."""
    parts = [p.strip() for p in str(value).split("/")]
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise AnnotateError(f"--split: {value!r} must be 1 to 3 whole percentages joined by '/', e.g. 80/10/10")
    pcts = [int(p) for p in parts]
    if sum(pcts) != 100:
        raise AnnotateError(f"--split: {value} sums to {sum(pcts)}, not 100")
    return tuple(zip(SPLIT_NAMES[len(pcts)], pcts, strict=True))


def parse_unsure_weight(value: str | float | Fraction | None, include_unsure: bool = False) -> Fraction:
    """``--unsure-weight`` as an exact fraction in [0, 1]; ``--include-unsure`` is ``--unsure-weight 1``."""
    if value is None:
        return Fraction(1) if include_unsure else DEFAULT_UNSURE_WEIGHT
    try:
        weight = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):  # also refuses nan and inf
        raise AnnotateError(f"--unsure-weight: {value!r} is not a number between 0 and 1") from None
    if not 0 <= weight <= 1:
        raise AnnotateError(f"--unsure-weight: {value} is not between 0 and 1 (0: unsure labels do not count,"
                            " 1: they count like any other)")
    if include_unsure and weight != 1:
        raise AnnotateError(f"--include-unsure is --unsure-weight 1, but --unsure-weight {value} was given too;"
                            " give one of them")
    return weight


def parse_formats(formats: tuple[str, ...] | list[str], warn: Any = None) -> tuple[str, ...]:
    """The formats asked for, in the order they are written; ``spacy`` is the old name of ``prodigy``."""
    chosen: list[str] = []
    for item in formats or ("jsonl",):
        for f in str(item).split(","):
            f = f.strip().lower()
            if f in FORMAT_ALIASES:
                if warn:
                    warn(f"--format {f} is deprecated: it writes Prodigy files; say --format"
                         f" {FORMAT_ALIASES[f]}")
                f = FORMAT_ALIASES[f]
            if f not in FORMATS:
                raise AnnotateError(f"--format: {f!r} is not one of {', '.join(FORMATS)}")
            chosen.append(f)
    return tuple(f for f in FORMATS if f in chosen)


def parse_options(
    out: str | Path,
    labels: str = "majority",
    include_unsure: bool = False,
    min_annotators: str | int = 1,
    min_agreement: str | float = 0.0,
    split: str = "80/10/10",
    seed: str | int = 0,
    dedupe: bool = False,
    context: str | int = 1,
    formats: tuple[str, ...] | list[str] = ("jsonl",),
    unsure_weight: str | float | None = None,
    warn: Any = None,
) -> ExportOptions:
    """Check the command's options; every problem is an :class:`AnnotateError` naming the option."""
    mode = _labels_mode(labels)
    n_ann = _int("--min-annotators", min_annotators, 1)
    try:
        agree = float(str(min_agreement).strip())
    except ValueError:
        raise AnnotateError(f"--min-agreement: {min_agreement!r} is not a number between 0 and 1") from None
    if not 0.0 <= agree <= 1.0:  # also refuses nan
        raise AnnotateError(f"--min-agreement: {min_agreement} is not between 0 and 1 (a share, e.g. 0.67)")
    if mode != "majority" and (n_ann != 1 or agree != 0.0):
        raise AnnotateError("--min-annotators and --min-agreement apply to --labels majority only")
    fmts = parse_formats(formats, warn)
    if "parquet" in fmts:
        require_pyarrow()
    return ExportOptions(
        out=Path(out), labels=mode, unsure_weight=parse_unsure_weight(unsure_weight, include_unsure),
        min_annotators=n_ann, min_agreement=agree, split=parse_split(split), seed=_int("--seed", seed),
        dedupe=dedupe, context=_int("--context", context, 0), formats=fmts,
    )


def _labels_mode(labels: str) -> str:
    mode = str(labels).strip()
    if mode.startswith("annotator:"):
        name = mode.partition(":")[2]
        if name == GOLD:
            raise AnnotateError("--labels: gold is the adjudicated label, not an annotator; use --labels gold")
        if not is_valid_annotator(name):
            raise AnnotateError(f"--labels: {name!r} is not a valid annotator name ({ANNOTATOR_PATTERN})")
    elif mode not in ("majority", "gold", "all"):
        raise AnnotateError(f"--labels: {mode!r} is not one of {', '.join(LABEL_MODES)}")
    return mode


def check_out(project: Project, out: Path) -> Path:
    """The output folder, refused when it is inside labels/, the project root itself, or a file."""
    target = out.resolve()
    labels = project.labels.resolve()
    if target == labels or labels in target.parents:
        raise AnnotateError(f"--out {out}: is inside labels/; export never writes there (try --out out/)")
    if target == project.root:
        raise AnnotateError(f"--out {out}: is the project root; its README.md would be overwritten"
                            " (try --out out/)")
    if target.exists() and not target.is_dir():
        raise AnnotateError(f"--out {out}: exists and is not a folder")
    return target
