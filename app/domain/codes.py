"""National code lists (Volven) shipped in app/reference/codes, for validating optional codes."""

import csv
from functools import cache
from pathlib import Path

CODES_DIR = Path(__file__).resolve().parent.parent / "reference" / "codes"

CODE_LISTS = {
    "helsehjelpsomrade_8655": "volven-8655-helsehjelpsomrade.csv",
    "iplos_9151": "volven-9151-tjenestetype-iplos.csv",
    "omsorgsniva_8406": "volven-8406-omsorgsniva.csv",
}


@cache
def code_list(field: str) -> dict[str, str]:
    """Code → Norwegian display text for the code list behind `field`."""
    with (CODES_DIR / CODE_LISTS[field]).open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["display_nb"] for row in csv.DictReader(handle) if row.get("active") != "false"}
