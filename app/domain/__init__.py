"""Domain logic: plain functions on a Session, shared by the API, the pages, the CLI and imports."""
