"""The team report as one self-contained HTML page: SVG charts drawn by matplotlib, and the figures as tables.

Nothing on the page is fetched: the charts are inline SVG (text kept as text, in the
reader's own sans-serif font), the style sheet is inline, and there is no script. The
charts are those of the dashboard: progress per annotator, label mix per annotator, the
agreement between every two annotators (Cohen's kappa), confusion heatmaps (two annotators,
or one against gold), and labels over time. matplotlib comes with ``pip install
'annotate[report]'``; it is imported only here.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..errors import AnnotateError
from ..models import GOLD
from .assign import TeamState
from .figures import Tables, confusion_of, iso, shared_pairs

MAX_CONFUSIONS = 12
"""At most this many confusion heatmaps between annotators (the pairs sharing the most sentences)."""

STATUS_COLOURS = {"done": "#2e7d32", "in progress": "#f9a825", "not started": "#bdbdbd",
                  "unassigned work": "#6a1b9a"}
FALLBACK = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


@dataclass
class Page:
    """The HTML page and the names of the charts on it, in order."""

    html: str
    charts: list[str] = field(default_factory=list)


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise AnnotateError("annotate report draws its charts with matplotlib:"
                            " pip install 'annotate[report]'") from None
    return matplotlib


def _rc(name: str) -> dict[str, Any]:
    return {"svg.fonttype": "none", "svg.hashsalt": f"annotate-{name}", "font.size": 9,
            "axes.spines.top": False, "axes.spines.right": False}


def _svg(fig: Any, name: str) -> str:
    """The figure as an inline ``<svg>`` whose ids are prefixed by the chart's name (unique on the page)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{name}--{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{name}--{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{name}--{m.group(1)}"', svg)


def _gid(*parts: str) -> str:
    return "--".join(re.sub(r"[^A-Za-z0-9._-]", "_", p) for p in parts)


def _figure(rows: int, width: float = 8.0) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, max(1.6, 0.9 + 0.35 * rows)))


def label_colours(state: TeamState, labels: list[str]) -> dict[str, str]:
    """Each label's colour as on the labeling screen (the tagset's), else a matplotlib default."""
    from rich.color import Color

    colours: dict[str, str] = {}
    try:
        tagset = state.project.tagset()
        for lab in tagset.labels:
            r, g, b = Color.parse(lab.color).get_truecolor()
            colours[lab.name] = f"#{r:02x}{g:02x}{b:02x}"
    except AnnotateError:
        pass
    for i, name in enumerate(labels):
        colours.setdefault(name, FALLBACK[i % len(FALLBACK)])
    return colours


def label_order(state: TeamState, result: dict[str, Any]) -> list[str]:
    """The tagset's labels in order, then any other label used, sorted."""
    try:
        order = state.project.tagset().names
    except AnnotateError:
        order = []
    used = {lab for a in result["annotators"] for lab in a["label_counts"]}
    return order + sorted(used - set(order))


# --------------------------------------------------------------------------- the charts


def progress_chart(result: dict[str, Any]) -> Any:
    """Documents per annotator: done, in progress, not started (of those assigned), and unassigned work."""
    rows = result["annotators"]
    fig = _figure(len(rows))
    ax = fig.add_subplot()
    names = [a["annotator"] for a in rows]
    series = [("done", [a["done"] for a in rows]), ("in progress", [a["in_progress"] for a in rows])]
    if result["project_file"]:
        series += [("not started", [a["not_started"] or 0 for a in rows]),
                   ("unassigned work", [a["unassigned_documents"] for a in rows])]
    left = [0] * len(rows)
    for label, values in series:
        bars = ax.barh(names, values, left=left, color=STATUS_COLOURS[label], label=label)
        for bar, name in zip(bars, names, strict=True):
            bar.set_gid(_gid(label, name))
        left = [x + v for x, v in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(series), frameon=False)
    return fig


def mix_chart(result: dict[str, Any], labels: list[str], colours: dict[str, str]) -> Any:
    """Each annotator's labels by label, as shares of their labels (the count in the bar when wide enough)."""
    rows = result["annotators"]
    fig = _figure(len(rows))
    ax = fig.add_subplot()
    names = [a["annotator"] for a in rows]
    left = [0.0] * len(rows)
    for lab in labels:
        counts = [a["label_counts"].get(lab, 0) for a in rows]
        shares = [c / a["labels"] if a["labels"] else 0.0 for c, a in zip(counts, rows, strict=True)]
        bars = ax.barh(names, shares, left=left, color=colours[lab], label=lab)
        for bar, name, count, share, x in zip(bars, names, counts, shares, left, strict=True):
            bar.set_gid(_gid(lab, name))
            if share >= 0.08:
                ax.text(x + share / 2, bar.get_y() + bar.get_height() / 2, str(count), ha="center", va="center",
                        fontsize=8)
        left = [x + s for x, s in zip(left, shares, strict=True)]
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _: f"{100 * x:.0f}%")
    ax.set_xlabel("share of the annotator's labels")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(len(labels), 6), frameon=False)
    return fig


def _heatmap(ax: Any, matrix: list[list[float | None]], cells: list[list[str]], rows: list[str],
             cols: list[str], vmin: float, vmax: float, cmap: str) -> Any:
    """A heatmap of vector cells (no raster image) with their text written in; None cells are left grey."""
    import matplotlib
    import numpy as np

    data = np.ma.masked_invalid(np.array([[np.nan if v is None else v for v in row] for row in matrix], float))
    colour_map = matplotlib.colormaps[cmap].with_extremes(bad="#eeeeee")
    mesh = ax.pcolormesh(data, cmap=colour_map, vmin=vmin, vmax=vmax, edgecolors="white", linewidth=1.5)
    ax.set_xticks([j + 0.5 for j in range(len(cols))], cols, rotation=30, ha="right")
    ax.set_yticks([i + 0.5 for i in range(len(rows))], rows)
    ax.invert_yaxis()
    ax.spines[:].set_visible(False)
    ax.tick_params(length=0)
    for i, row in enumerate(cells):
        for j, text in enumerate(row):
            value = matrix[i][j]
            dark = cmap == "Blues" and value is not None and (value - vmin) / ((vmax - vmin) or 1) > 0.6
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    return mesh


def agreement_chart(result: dict[str, Any]) -> Any:
    """Cohen's kappa between every two annotators (and with gold), the shared sentences in each cell."""
    names = [a["annotator"] for a in result["annotators"]]
    cols = names + [GOLD]
    matrix: list[list[float | None]] = []
    cells: list[list[str]] = []
    for a in result["annotators"]:
        row, text = [], []
        for b in cols:
            fig_ = a["gold"] if b == GOLD else a["agreement"].get(b)
            kappa = None if fig_ is None else fig_["cohen_kappa"]
            value = None if kappa is None else kappa["value"]
            row.append(value)
            if b == a["annotator"]:
                text.append("")
            elif value is None:
                text.append(f"n/a\nn={kappa['units'] if kappa else 0}")
            else:
                text.append(f"{value:.2f}\nn={kappa['units']}")
        matrix.append(row)
        cells.append(text)
    fig = _figure(len(names), width=min(12.0, 2.5 + 0.9 * len(cols)))
    ax = fig.add_subplot()
    image = _heatmap(ax, matrix, cells, names, cols, -1.0, 1.0, "RdYlGn")
    bar = fig.colorbar(image, ax=ax, label="Cohen's kappa", shrink=0.8)
    bar.solids.set_rasterized(False)  # vector, like the rest: no embedded image
    return fig


def confusion_chart(matrix: dict[str, dict[str, int]], a: str, b: str) -> Any:
    """The confusion heatmap of ``a`` (rows) against ``b`` (columns), counts in the cells."""
    labels = list(matrix)
    values = [[matrix[r][c] for c in labels] for r in labels]
    top = max((v for row in values for v in row), default=0) or 1
    fig = _figure(len(labels), width=2.5 + 0.9 * len(labels))
    ax = fig.add_subplot()
    _heatmap(ax, [[float(v) for v in row] for row in values], [[str(v) for v in row] for row in values], labels,
             labels, 0.0, float(top), "Blues")
    ax.set_ylabel(a)
    ax.set_xlabel(b)
    return fig


def throughput_chart(result: dict[str, Any]) -> Any:
    """Labels over time: each annotator's cumulative labels, by the day their files last changed."""
    import matplotlib.dates as mdates

    fig = _figure(6)
    ax = fig.add_subplot()
    for name, days in result["throughput"].items():
        if not days:
            continue
        xs = [date.fromisoformat(d["date"]) for d in days]
        total, ys = 0, []
        for d in days:
            total += d["labels"]
            ys.append(total)
        (line,) = ax.plot(xs, ys, marker="o", drawstyle="steps-post", label=name)
        line.set_gid(_gid("labels", name))
    days = sorted({d for line in ax.lines for d in line.get_xdata()})
    if len(days) == 1:  # one day: show the days around it, not years
        ax.set_xlim(days[0] - timedelta(days=3), days[0] + timedelta(days=3))
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    from matplotlib.ticker import MaxNLocator

    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("labels (cumulative)")
    if ax.lines:
        ax.legend(frameon=False, loc="upper left")
    return fig


# --------------------------------------------------------------------------- the page


def confusion_pairs(result: dict[str, Any]) -> tuple[list[tuple[str, str]], int]:
    """Which confusion heatmaps to draw: each annotator with gold, then the pairs sharing the most sentences.

    Returns the pairs and how many pairs with shared sentences were left out (over :data:`MAX_CONFUSIONS`).
    """
    with_gold, shared = shared_pairs(result)
    return with_gold + shared[:MAX_CONFUSIONS], max(0, len(shared) - MAX_CONFUSIONS)


def render_report(state: TeamState, result: dict[str, Any], title: str) -> Page:
    """The whole page for a team's state and its figures (:func:`.figures.annotator_status`)."""
    matplotlib = _matplotlib()
    labels = label_order(state, result)
    colours = label_colours(state, labels)
    tables = Tables.of(state)
    page = Page("")
    sections: list[str] = []

    def chart(name: str, heading: str, caption: str, make: Any) -> None:
        with matplotlib.rc_context(_rc(name)):
            fig = make()
            svg = _svg(fig, name)
        page.charts.append(name)
        sections.append(f'<figure id="{name}" data-chart="{name}"><h3>{html.escape(heading)}</h3>{svg}'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    if result["annotators"]:
        chart("progress", "Progress per annotator", "Documents assigned to each annotator by state, and documents"
              " they labeled without being assigned them.", lambda: progress_chart(result))
        chart("label-mix", "Label mix per annotator", "Share of each label among the annotator's labels; the"
              " number of labels in the bar.", lambda: mix_chart(result, labels, colours))
        chart("agreement", "Agreement between annotators", "Cohen's kappa over the sentences both labeled (n);"
              " the last column is against gold. Grey: no figure (too few shared sentences or no variation).",
              lambda: agreement_chart(result))
        pairs, left_out = confusion_pairs(result)
        for a, b in pairs:
            matrix = confusion_of(tables, a, b, labels)
            n = sum(sum(row.values()) for row in matrix.values())
            chart(f"confusion-{_gid(a)}-{_gid(b)}", f"Confusion: {a} × {b}",
                  f"{n} sentences labeled by both; rows: {a}, columns: {b}.",
                  lambda m=matrix, a=a, b=b: confusion_chart(m, a, b))
        if left_out:
            sections.append(f"<p>{left_out} more pairs of annotators share sentences; their agreement is in the"
                            " table below.</p>")
        chart("throughput", "Labels over time", f"Cumulative labels per annotator, each file counted on the day"
              f" it last changed ({result['dated_by']}).", lambda: throughput_chart(result))
    page.html = _page(title, result, sections)
    return page


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2em auto;max-width:1280px;
padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1em;margin:0 0 .3em}
figure{margin:1.5em 0;padding:1em;border:1px solid #ddd;border-radius:6px}
figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:right}th:first-child,td:first-child{text-align:left}
.note{color:#555;font-size:.9em}.wide{overflow-x:auto}td{white-space:nowrap}
"""


def _fig(fig: dict[str, Any] | None, pct: bool = False, digits: int = 2) -> str:
    if not fig:
        return "–"
    if fig.get("value") is None:
        return f'<span title="{html.escape(fig.get("reason") or "")}">n/a (n={fig.get("units", 0)})</span>'
    value = f"{100 * fig['value']:.1f}%" if pct else f"{fig['value']:.{digits}f}"
    return f"{value} (n={fig['units']})"


def _table(head: list[str], rows: list[list[str]], name: str) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    out = [f'<div class="wide"><table data-table="{name}"><thead><tr>{cells}</tr></thead><tbody>']
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    return "\n".join(out) + "</tbody></table></div>"


def _annotator_table(result: dict[str, Any]) -> str:
    head = ["annotator", "assigned", "done", "in progress", "not started", "unassigned work", "labels", "unsure",
            "s/sentence (median)", "labels/hour", "last activity", "accuracy vs gold", "kappa vs gold"]
    rows = []
    for a in result["annotators"]:
        last = a["last_activity"]
        name = html.escape(a["annotator"]) + ("" if a["in_team"] in (True, None) else " (not in team)")
        rows.append([name, str(a["assigned"] if a["assigned"] is not None else "–"), str(a["done"]),
                     str(a["in_progress"]), str(a["not_started"] if a["not_started"] is not None else "–"),
                     str(a["unassigned_documents"]), str(a["labels"]), _fig(a["unsure_rate"], pct=True),
                     _fig(a["median_seconds_per_sentence"], digits=1), _fig(a["labels_per_hour"], digits=0),
                     _when(last), _fig(a["gold"]["accuracy"], pct=True),
                     _fig(a["gold"]["cohen_kappa"])])
    return _table(head, rows, "annotators")


def _when(last: dict[str, Any] | None) -> str:
    if not last:
        return "–"
    return f'{last["time"][:16].replace("T", " ")}&nbsp;UTC ({last["source"]})'


def _pairs_table(result: dict[str, Any]) -> str:
    rows = []
    for a in result["annotators"]:
        for b, fig in a["agreement"].items():
            if a["annotator"] < b and fig["sentences"]:
                rows.append([html.escape(a["annotator"]), html.escape(b), str(fig["sentences"]),
                             _fig(fig["cohen_kappa"]), _fig(fig["percent_agreement"], pct=True)])
    return _table(["a", "b", "shared sentences", "Cohen's kappa", "% agreement"], rows, "pairs")


def _page(title: str, result: dict[str, Any], sections: list[str]) -> str:
    counts = result["documents"]
    team = (f"{result['project_file']}: {result['annotators_per_document']} annotators per document"
            if result["project_file"] else "no project file (everyone may label everything)")
    summary = (f"{counts['total']} documents ({counts['selected']} selected), {counts['started']} started,"
               f" {counts['labeled_by_all']} labeled by all their annotators, {counts['ready_for_review']} ready"
               f" for review, {counts['adjudicated']} adjudicated.")
    from datetime import datetime

    made = iso(datetime.now().timestamp())
    reviewers = ", ".join(f"{html.escape(r['reviewer'])}: {r['decided']} sentences in {r['documents']} documents"
                          for r in result["reviewers"]) or "none"
    charts = "\n".join(sections) if sections else "<p>No label file yet: nothing to draw.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}: annotation team report</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}: annotation team report</h1>
<p class="note">Made by annotate report on {made}. {html.escape(team)}. {summary}</p>
<h2>Figures</h2>
{charts}
<h2>Per annotator</h2>
{_annotator_table(result)}
<p class="note">Every figure shows the number of sentences behind it (n); n/a: cannot be computed (hover for why).
Times: {html.escape(result['dated_by'])}.</p>
<h2>Pairs of annotators</h2>
{_pairs_table(result)}
<h2>Reviewers</h2>
<p>{reviewers}</p>
</body></html>
"""
