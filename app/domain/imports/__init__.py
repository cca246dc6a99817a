"""Bulk imports: readers (CSV, XLSX) → columns (header names, value parsing) → runner (one transaction)."""
