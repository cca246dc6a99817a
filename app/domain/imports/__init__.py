"""Bulk imports, in the order a file goes through them.

readers (CSV, XLSX into tables) → headers (which column is which field) → columns (cell values as people
type them) → rows (a row parsed) → checks (row limit, duplicate keys, access) → writer (chunks through the
catalogue's bulk path) → batches (report and ImportBatch row); runner runs them in one transaction.
"""
