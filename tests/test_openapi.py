"""The committed OpenAPI document must match the code (run `make openapi` after an API change)."""

import json
from pathlib import Path

from app.main import create_app


def test_committed_openapi_matches_the_code(project_root: Path) -> None:
    committed = json.loads((project_root / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == create_app().openapi(), "openapi/openapi.json is out of date: run `make openapi`"


def test_every_operation_has_an_id_and_a_one_line_summary() -> None:
    spec = create_app().openapi()
    seen = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"] not in seen, (path, method)
            seen.add(operation["operationId"])
            assert operation.get("description"), (path, method)
            assert "\n" not in operation["description"].strip(), (path, method)
            assert path.startswith("/api/v1/")
