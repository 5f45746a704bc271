"""Bringing a corpus in: documents into ``seeds/`` with their metadata, and other tools' labels into label files.

:func:`import_documents` reads files, folders, web pages and rows (JSONL, JSON, CSV, TSV,
Parquet, Arrow); :mod:`annotate.importing.labels` reads labels made in Prodigy, doccano,
Label Studio or exported by annotate itself.
"""

from __future__ import annotations

from .documents import ImportOptions, ImportReport, import_documents
from .records import ReadOptions

__all__ = ["ImportOptions", "ImportReport", "ReadOptions", "import_documents"]
