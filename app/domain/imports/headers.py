"""Which column holds which field (headers in Norwegian or English), and which tables of a file hold what."""

from app.domain.imports import columns as c
from app.domain.imports.errors import ImportFileError
from app.domain.imports.readers import Table
from app.models.imports import ImportKind

_SERVICE_SHEETS = {"tilbud", "services", "rehabiliteringstilbud", "rehabservices"}
_PROFILE_SHEETS = {"kommune", "kommunefakta", "fakta", "profil", "kommuneprofil", "municipality", "facts", "profile"}
_SERVICE_REQUIRED = ("external_id", "name", "level", "forms")
_PROVIDER_KEYS = {"provider_id", "provider_orgnr", "provider_municipality"}
_PROFILE_REQUIRED = ("municipality_number", "year")


def header_map(table: Table, spec: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Field → column index, for the headers of `table` that `spec` knows (any case, accents or spacing)."""
    aliases = {c.norm(alias): name for name, names in spec.items() for alias in (name, *names)}
    found: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        name = aliases.get(c.norm(header))
        if name is None:
            continue
        if name in found:
            raise ImportFileError(f"Two columns mean the same thing: '{table.headers[found[name]]}' and '{header}'")
        found[name] = index
    return found


def service_columns(table: Table) -> dict[str, int]:
    """The service fields' columns of `table`; ImportFileError when a required one is missing."""
    columns = header_map(table, c.SERVICE_COLUMNS)
    missing = [c.SERVICE_COLUMNS[n][0] for n in _SERVICE_REQUIRED if n not in columns]
    if not _PROVIDER_KEYS & columns.keys():
        missing.append("Tilbyder orgnr (or Tilbyder ID / Kommunenr)")
    if missing:
        raise ImportFileError(f"Missing required column(s): {', '.join(missing)}")
    return columns


def profile_columns(table: Table) -> dict[str, int]:
    """The municipality profile fields' columns of `table`; ImportFileError when a required one is missing."""
    columns = header_map(table, c.PROFILE_COLUMNS)
    missing = [c.PROFILE_COLUMNS[n][0] for n in _PROFILE_REQUIRED if n not in columns]
    if missing:
        raise ImportFileError(f"Sheet '{table.name or 'CSV'}': missing required column(s): {', '.join(missing)}")
    return columns


def pick_tables(tables: list[Table], kind: ImportKind) -> tuple[list[Table], list[Table]]:
    """(service tables, municipality fact tables) of a file: sheets by their name, else by their headers."""
    if kind == ImportKind.rehab_services:
        named = [t for t in tables if c.norm(t.name) in _SERVICE_SHEETS]
        return (named or tables[:1]), []
    services = [t for t in tables if c.norm(t.name) in _SERVICE_SHEETS]
    facts = [t for t in tables if c.norm(t.name) in _PROFILE_SHEETS]
    if not facts:
        by_header = [t for t in tables if "year" in header_map(t, c.PROFILE_COLUMNS)]
        facts = [t for t in by_header if t not in services]
    if not facts:
        raise ImportFileError(
            "A municipal survey needs a sheet of municipality facts ('Kommune': Kommunenr, År, Kreftkoordinator, …)"
        )
    return services, facts
