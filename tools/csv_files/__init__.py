"""The CSV tools: csv_read, csv_query (DuckDB, locked to the workspace) and csv_write."""

from __future__ import annotations

from tools.csv_files.query import CsvQueryTool
from tools.csv_files.read import CsvReadTool
from tools.csv_files.write import CsvWriteTool

__all__ = ["CsvQueryTool", "CsvReadTool", "CsvWriteTool"]
