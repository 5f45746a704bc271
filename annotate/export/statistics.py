"""The dataset card's figures, counted document by document: per split and label, groups, agreement, left out.

Every figure is a running count (rows and labels per split, label counts per document
group, Krippendorff's coincidence counts, suggestion tallies) so memory does not grow
with the corpus, and each figure is computed once, at the end.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

from ..agreement import AlphaCounts
from .corpus import Corpus
from .options import ExportOptions
from .rows import LEFT_OUT_OTHER, LEFT_OUT_ROWS, Tally, Unit
from .splits import Splits, most_shared
from .writers import SUFFIX

UNKNOWN_OUTLET = "(unknown)"
"""Where documents without an outlet in their metadata are counted."""


class StatsCounter:
    """Counts every row and unit as documents are exported, in export order."""

    def __init__(self, options: ExportOptions, annotators: Sequence[str], labels: Sequence[str],
                 splits: Splits) -> None:
        self.options = options
        self.n_annotators = len(annotators)
        self.labels = list(labels)
        self.index = {lab: i for i, lab in enumerate(self.labels)}
        self.splits = splits
        self.per_split = {name: {"rows": 0, "sentences": 0, "documents": 0, "labels": [0] * len(self.labels)}
                          for name, _ in options.split}
        self.overall = [0] * len(self.labels)
        self.group_slot: dict[str, int] = {}
        self.group_counts = array("q")
        """Label counts of each document group, groups in the order their first row came."""
        self.rows = self.sentences = self.documents = 0
        self.with_suggestion = 0
        self.agreement_null = 0
        self.exported = AlphaCounts()
        self.all_labeled = AlphaCounts()
        self.one_annotator = options.mode in ("all", "annotator")
        self.outlets: dict[str, dict[str, Any]] = {}
        """Outlet (from the documents' metadata; ``(unknown)`` without) -> documents, rows, label counts."""

    def add_document(self, doc_id: str, split: str, units: Sequence[Unit]) -> None:
        """One document's units (rows already deduplicated)."""
        per = self.per_split[split]
        had_rows = False
        for unit in units:
            values = [v for v in unit.labels.values() if v is not None]
            self.all_labeled.add(values)
            if not unit.rows:
                continue
            had_rows = True
            self.exported.add(values)
            per["sentences"] += 1
            for row in unit.rows:
                self._add_row(doc_id, per, row)
        if had_rows:
            per["documents"] += 1
            self.documents += 1
            self._add_outlet(units)
        self.sentences += sum(1 for u in units if u.rows)

    def _add_row(self, doc_id: str, per: dict[str, Any], row: dict[str, Any]) -> None:
        li = self.index[row["label"]]
        per["rows"] += 1
        per["labels"][li] += 1
        self.overall[li] += 1
        self.rows += 1
        group = self.splits.group[doc_id]
        slot = self.group_slot.get(group)
        if slot is None:
            slot = self.group_slot[group] = len(self.group_slot)
            self.group_counts.extend([0] * len(self.labels))
        self.group_counts[slot * len(self.labels) + li] += 1
        suggested = row["suggested"]
        if self.one_annotator:
            self.with_suggestion += suggested[row["label_source"]] is not None
        else:
            self.with_suggestion += any(v is not None for v in suggested.values())
        self.agreement_null += row["agreement"] is None

    def _add_outlet(self, units: Sequence[Unit]) -> None:
        """Count one exported document's rows under its outlet."""
        rows = [row for unit in units for row in unit.rows]
        outlet = (rows[0]["meta"] or {}).get("outlet") or UNKNOWN_OUTLET
        entry = self.outlets.setdefault(outlet, {"documents": 0, "rows": 0, "labels": [0] * len(self.labels)})
        entry["documents"] += 1
        entry["rows"] += len(rows)
        for row in rows:
            entry["labels"][self.index[row["label"]]] += 1

    def _shares(self, counts: Sequence[int]) -> dict[str, float | None]:
        n = sum(counts)
        return {lab: (counts[i] / n if n else None) for i, lab in enumerate(self.labels)}

    def _stratification(self, per_split: dict[str, dict[str, Any]], overall_shares: dict[str, float | None]
                        ) -> dict[str, Any]:
        # How far each split's label shares are from the overall ones, and how far chance alone would put
        # them: with groups assigned independently (probability p to a split), a split's share of a label
        # deviates by about sqrt(p (1 - p) sum_g r_g^2) / (p N), r_g = the group's count minus its expected count.
        n_lab = len(self.labels)
        groups = [self.group_counts[k * n_lab:(k + 1) * n_lab] for k in range(len(self.group_slot))]
        totals = [sum(c) for c in groups]
        worst = worst_sd = chance = 0.0
        for name, pct in self.options.split:
            shares = per_split[name]["label_shares"]
            p = pct / 100
            for li, lab in enumerate(self.labels):
                dev = abs((shares[lab] or 0.0) - (overall_shares[lab] or 0.0)) if per_split[name]["rows"] else 0.0
                worst = max(worst, dev)
                if 0 < p < 1 and self.rows:
                    share = overall_shares[lab] or 0.0
                    sq = sum((c[li] - share * t) ** 2 for c, t in zip(groups, totals, strict=True))
                    sd = (p * (1 - p) * sq) ** 0.5 / (p * self.rows)
                    chance = max(chance, sd)
                    if sd > 0:
                        worst_sd = max(worst_sd, dev / sd)
        return {
            "method": "seeded hash of each document group (smallest doc id); no corpus-dependent rebalancing",
            "max_label_share_deviation": worst,
            "chance_sd": chance,
            "max_deviation_in_chance_sd": worst_sd,
        }

    def stats(self, corpus: Corpus, tally: Tally, shared_texts: dict[int, str], command: str, commit: str,
              version: str, duplicate_rows: int) -> dict[str, Any]:
        """Every figure of the card, for machines (stats.json)."""
        options, labels = self.options, self.labels
        per_split: dict[str, dict[str, Any]] = {}
        for name, pct in options.split:
            s = self.per_split[name]
            per_split[name] = {
                "target_percent": pct, "rows": s["rows"], "sentences": s["sentences"], "documents": s["documents"],
                "labels": dict(zip(labels, s["labels"], strict=True)), "label_shares": self._shares(s["labels"]),
            }
        overall_shares = self._shares(self.overall)
        group_sizes = self.splits.group_sizes()
        multi = [g for g, n in group_sizes.items() if n > 1]
        left = {key: tally.left_out.get(key, 0) for key in (*LEFT_OUT_ROWS, *LEFT_OUT_OTHER)}
        left["stale_files"] = len(corpus.stale_files)
        left["missing_source"] = len(corpus.missing_source)
        left["empty_files"] = len(corpus.empty_files)
        left["metadata_unreadable"] = len(corpus.meta_unreadable)
        tagset = corpus.tagset
        return {
            "tool": {"name": "annotate", "version": version},
            "command": command,
            "labels_commit": commit,
            "options": options.to_json(),
            "tagset": {
                "name": tagset.name, "version": tagset.version, "description": tagset.description,
                "labels": [{"name": lab.name, "definition": lab.definition} for lab in tagset.labels],
            },
            "annotators": corpus.annotators,
            "meta_fields": corpus.meta_fields,
            "label_files": corpus.files,
            "documents": {"with_label_files": corpus.documents, "exported": self.documents},
            "rows": self.rows,
            "sentences": self.sentences,
            "labels": dict(zip(labels, self.overall, strict=True)),
            "label_shares": overall_shares,
            "rows_without_agreement": self.agreement_null,
            "splits": per_split,
            "outlets": {name: {"documents": o["documents"], "rows": o["rows"],
                               "labels": dict(zip(labels, o["labels"], strict=True))}
                        for name, o in sorted(self.outlets.items(), key=lambda kv: (kv[0] == UNKNOWN_OUTLET, kv[0]))},
            "stratification": self._stratification(per_split, overall_shares),
            "groups": {
                "count": len(group_sizes),
                "shared_text_groups": len(multi),
                "documents_in_shared_text_groups": sum(group_sizes[g] for g in multi),
                "largest": max(group_sizes.values(), default=0),
                "most_shared_texts": most_shared(self.splits.shared, shared_texts),
            },
            "agreement": {
                "exported": self.exported.figure(self.n_annotators).to_json(),
                "all_labeled": self.all_labeled.figure(self.n_annotators).to_json(),
            },
            "suggestions": {"annotators": tally.suggestions, "rows_with_suggestion_visible": self.with_suggestion},
            "left_out": left,
            "duplicate_rows_kept": 0 if options.dedupe else duplicate_rows,
            "files": sorted(f"{name}{SUFFIX[f]}" for f in options.formats for name, _ in options.split
                            if per_split[name]["rows"]),
        }
