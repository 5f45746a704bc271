"""The dataset card (README.md): what the export holds, how it was made, and how to load it; and its provenance."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .rows import FIELDS, LEFT_OUT_OTHER, LEFT_OUT_ROWS


def git_commit(root: Path) -> str:
    """The commit of the project's git repository, noting uncommitted label files; or why there is none."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30,
                              check=False)

    try:
        inside = git("rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.SubprocessError):
        return "not a git repository (git not available)"
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return "not a git repository"
    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return "no commit yet"
    commit = head.stdout.strip()
    dirty = git("status", "--porcelain", "--", "labels")
    if dirty.returncode == 0 and dirty.stdout.strip():
        commit += " (labels/ has uncommitted changes)"
    return commit


def command_line(argv: Sequence[str]) -> str:
    """``argv`` as one shell-quoted line, the program shown as ``annotate``."""
    args = list(argv)
    if args and Path(args[0]).name in ("annotate", "__main__.py", "-m"):
        args[0] = "annotate"
    return shlex.join(args)


# --------------------------------------------------------------------------- stats and card


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _figure(fig: dict[str, Any]) -> str:
    n = f"{fig['units']} sentences"
    if fig.get("excluded"):
        n += f", {fig['excluded']} with a single label left out"
    if fig["value"] is None:
        return f"n/a ({n}): {fig['reason']}"
    return f"{fig['value']:.3f} ({n})"


def _how_to_load(files: list[str]) -> list[str]:
    jsonl = [f for f in files if f.endswith(".jsonl") and not f.endswith(".prodigy.jsonl")]
    parquet = [f for f in files if f.endswith(".parquet")]
    csvs = [f for f in files if f.endswith(".csv")]
    lines = ["Paths are relative to this folder.", "", "```python"]
    if jsonl or parquet:
        kind, chosen = ("parquet", parquet) if parquet else ("json", jsonl)
        mapping = ", ".join(f'"{f.split(".")[0]}": "{f}"' for f in chosen)
        lines += ["from datasets import load_dataset", f'ds = load_dataset("{kind}", data_files={{{mapping}}})',
                  "# or load_dataset(\"path/to/this/folder\"): the front matter of this card names the files"]
        if jsonl and not (parquet or csvs):
            lines.append('# or load_dataset("json", data_dir="path/to/this/folder")')
        lines.append("")
    if jsonl:
        first = jsonl[0]
        lines += ["import pandas as pd", f'df = pd.read_json("{first}", lines=True)', "",
                  "import polars as pl", f'df = pl.read_ndjson("{first}")']
    elif parquet:
        lines += ["import pandas as pd", f'df = pd.read_parquet("{parquet[0]}")']
    elif csvs:
        lines += ["import json, pandas as pd", f'df = pd.read_csv("{csvs[0]}", keep_default_na=False)',
                  'df["labels"] = df["labels"].map(json.loads)  # nested fields are JSON strings']
    else:
        lines += ["import json", "tasks = [json.loads(line) for line in open(\"train.prodigy.jsonl\")]"]
    return [*lines, "```", ""]


def unsure_rule(weight: float) -> str:
    """How unsure votes counted, in words (``--unsure-weight``)."""
    if weight == 0:
        return ("not counted (--unsure-weight 0): an unsure label is neither a vote nor a row's label; each one"
                " is counted below as `unsure_labels`")
    if weight == 1:
        return "counted like any other label (--unsure-weight 1)"
    return (f"an unsure vote counts {weight:g} of a vote, a sure one 1 (--unsure-weight {weight:g}), in the"
            " majority, `soft_label` and `agreement` alike")


def agreement_rule(stats: dict[str, Any]) -> str:
    """What a null ``agreement`` means, and how many rows have one."""
    return (f"the weighted share of the counted votes equal to the row's label (0.0 when no annotator chose a"
            f" gold label); null when fewer than 2 annotators have a counted vote:"
            f" {stats['rows_without_agreement']} of {stats['rows']} rows")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _suggestions_section(sug: dict[str, Any], rows: int) -> list[str]:
    """Which labels were made with a suggestion visible (annotate label --suggest), which blind."""
    per = sug["annotators"]
    if not any(t["with_suggestion"] for t in per.values()):
        return ["Every label was made blind: no annotator saw a suggested label (annotate label without"
                " --suggest)."]
    lines = [
        "Some labels were made with a suggested label visible (annotate label --suggest). A visible"
        " suggestion anchors the annotator: those labels agree with the suggester, and with each other,"
        " more than blind ones would. The `suggested` field of each row says who saw which suggestion;"
        f" {sug['rows_with_suggestion_visible']} of the {rows} rows have a label made with one visible.",
        "",
        "| annotator | labels | with a suggestion visible | equal to the suggestion shown |",
        "| --- | ---: | ---: | ---: |",
    ]
    for a, t in per.items():
        n, k, e = t["labels"], t["with_suggestion"], t["equal_to_suggestion"]
        lines.append(f"| {_md(a)} | {n} | {k} ({_pct(k / n if n else None)}) | {e} ({_pct(e / k if k else None)}) |")
    return lines


def _outlets_section(outlets: dict[str, Any], labels: list[str]) -> list[str]:
    """Documents and labels per outlet (from the documents' metadata), when any document names one."""
    if not outlets or list(outlets) == ["(unknown)"]:
        return []
    lines = ["## Outlets", "", "Where the exported documents were published (their metadata's `outlet`):", "",
             "| outlet | documents | rows | " + " | ".join(labels) + " |",
             "| --- | ---: | ---: | " + " | ".join("---:" for _ in labels) + " |"]
    for name, o in outlets.items():
        cells = " | ".join(str(o["labels"][lab]) for lab in labels)
        lines.append(f"| {_md(name)} | {o['documents']} | {o['rows']} | {cells} |")
    return [*lines, ""]


def render_card(stats: dict[str, Any]) -> str:
    """The dataset card (README.md): no timestamps, so reruns are byte-identical."""
    opts = stats["options"]
    labels = [lab["name"] for lab in stats["tagset"]["labels"]]
    splits = stats["splits"]
    files = stats["files"]
    lines: list[str] = []
    data_files = [f for f in files if f.endswith(".parquet")] or [f for f in files if f.endswith(".jsonl")
                                                                  and not f.endswith(".prodigy.jsonl")]
    if data_files:
        lines += ["---", "configs:", "- config_name: default", "  data_files:"]
        for f in data_files:
            lines += [f"  - split: {f.split('.')[0]}", f"    path: {f}"]
        lines += ["task_categories:", "- text-classification", "---", ""]
    mode = opts["labels"]
    label_desc = {
        "majority": "the adjudicated (gold) label where review decided one, else the unique majority label of"
                    " the annotators",
        "gold": "adjudicated (gold) labels only",
        "all": "every annotator's own label, one row per sentence and annotator",
    }.get(mode, f"the labels of annotator `{mode.partition(':')[2]}`")
    lines += [
        f"# Claim-type dataset ({stats['tagset']['name']})",
        "",
        "Sentences of news articles, each with one claim type. Exported by `annotate export` from"
        f" {stats['label_files']} label files of {stats['documents']['with_label_files']} documents by"
        f" {len(stats['annotators'])} annotator(s) ({', '.join(stats['annotators']) or 'none'}).",
        "",
        f"- rows: {stats['rows']} ({stats['sentences']} sentences of {stats['documents']['exported']} documents)",
        f"- labels: {label_desc}",
        f"- unsure labels: {unsure_rule(opts['unsure_weight'])}",
        f"- `agreement`: {agreement_rule(stats)}",
        f"- thresholds: at least {opts['min_annotators']} counted label(s), majority share at least"
        f" {opts['min_agreement']:g} (majority labels only)",
        f"- context: {opts['context']} sentence(s) before and after",
        f"- duplicates: {'one copy kept (--dedupe)' if opts['dedupe'] else 'kept, always in the same split'}",
        "",
        "## Tagset",
        "",
        f"{_md(stats['tagset']['description'])} (tagset `{stats['tagset']['name']}`,"
        f" version {stats['tagset']['version']})",
        "",
        "| label | definition |",
        "| --- | --- |",
    ]
    lines += [f"| {_md(lab['name'])} | {_md(lab['definition'])} |" for lab in stats["tagset"]["labels"]]
    lines += ["", "## Splits", "", "| split | target | documents | rows | " + " | ".join(labels) + " |",
              "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in labels) + " |"]
    for name, s in splits.items():
        cells = " | ".join(f"{s['labels'][lab]} ({_pct(s['label_shares'][lab])})" for lab in labels)
        lines.append(f"| {name} | {s['target_percent']}% | {s['documents']} | {s['rows']} | {cells} |")
    cells = " | ".join(f"{stats['labels'][lab]} ({_pct(stats['label_shares'][lab])})" for lab in labels)
    lines.append(f"| **all** | 100% | {stats['documents']['exported']} | {stats['rows']} | {cells} |")
    groups = stats["groups"]
    strat = stats["stratification"]
    lines += [
        "",
        "How the splits were made: all sentences of a document are in the same split. Documents that share a"
        " sentence (same text after NFKC, straight quotes, case folding and whitespace collapsing) form one"
        f" group ({groups['shared_text_groups']} such groups, {groups['documents_in_shared_text_groups']}"
        f" documents, the largest {groups['largest']} documents), and a group is never split. Each group goes"
        f" to a split by a seeded hash (seed {opts['seed']}) of its smallest document id, mapped through the"
        " target percentages. Nothing else decides it, so adding documents never moves existing ones (unless"
        " a new document shares a sentence with them and sorts first, or joins groups that were apart).",
        "",
        *(["Sentences that join the most documents:", ""]
          + [f"- {_md(t['text'])!s} ({t['documents']} documents)" for t in groups["most_shared_texts"]]
          if groups["most_shared_texts"] else []),
        "",
        "Stratification is by expectation, not by rebalancing. An assignment that never moves a document when"
        " another is added must decide each document (group) from itself alone: start from a corpus holding"
        " just that document and add the others one by one. So no stable assignment can balance labels"
        " better than chance, and rebalancing would move documents whenever the corpus grows. The largest"
        " difference between a split's label share and the overall share is"
        f" {100 * strat['max_label_share_deviation']:.1f} percentage points; chance alone gives about"
        f" {100 * strat['chance_sd']:.1f} points (one standard deviation, largest over splits and labels), so"
        f" the worst split is {strat['max_deviation_in_chance_sd']:.1f} standard deviations off. A different"
        " --seed gives another stable assignment: pick one once and keep it.",
        "",
        *_outlets_section(stats.get("outlets") or {}, labels),
        "## Agreement",
        "",
        "Krippendorff's alpha (nominal) over the annotators' own labels (gold excluded; unsure labels included"
        " as plain labels: alpha has no weights):",
        "",
        f"- exported sentences: {_figure(stats['agreement']['exported'])}",
        f"- every labeled sentence, before anything was left out: {_figure(stats['agreement']['all_labeled'])}",
    ]
    lines += ["", "Leaving out ties and low-agreement sentences raises the first figure; the second is the"
              " honest one for the annotation itself.", "", "## Suggestions", ""]
    lines += _suggestions_section(stats["suggestions"], stats["rows"])
    lines += ["", "## Left out", "",
              f"Rows not exported ({'per sentence and annotator' if mode == 'all' else 'per sentence'}):", "",
              "| reason | count | meaning |", "| --- | ---: | --- |"]
    left = stats["left_out"]
    lines += [f"| {k} | {left[k]} | {_md(v)} |" for k, v in LEFT_OUT_ROWS.items()]
    lines += ["", "Also counted:", "", "| what | count | meaning |", "| --- | ---: | --- |"]
    lines += [f"| {k} | {left[k]} | {_md(v)} |" for k, v in LEFT_OUT_OTHER.items()]
    if stats["duplicate_rows_kept"]:
        lines += ["", f"{stats['duplicate_rows_kept']} rows repeat the normalised text of an earlier row; they"
                  " are kept (the copies are in the same split). `--dedupe` keeps one."]
    lines += ["", "## Fields", "", "| field | meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {_md(desc)} |" for name, desc in FIELDS]
    lines += ["", "In CSV files the mappings and lists are JSON strings and an empty cell is null. Prodigy files"
              " (`*.prodigy.jsonl`) hold `text`, `label`, `accept`, `answer` and `meta` (id, document, start,"
              " end).", "", "## Files", ""]
    lines += [f"- `{f}`" for f in files] + ["- `stats.json`: every figure of this card, for machines"]
    lines += [
        "",
        "## Provenance",
        "",
        f"- command: `{stats['command']}`",
        f"- tool: annotate {stats['tool']['version']}",
        f"- label files at git commit: {stats['labels_commit']}",
        "",
        "## How to load",
        "",
    ]
    lines += _how_to_load(files)
    return "\n".join(lines)
