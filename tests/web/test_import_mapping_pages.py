"""The import page's column mapping: unknown columns listed with samples, mapped and saved as a profile that
is offered next time; a sheet chosen by name; profiles kept inside their organisation."""

import io
import re
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape
from openpyxl import Workbook
from sqlalchemy import func, select

from app.db import transaction
from app.domain.imports import profiles
from app.models import ImportProfile, RehabService
from app.models.auth import Role
from app.models.imports import ImportKind, ImportProfileCreate
from tests.conftest import SYSTEM
from tests.factories import browser_login, fingerprint, form_token, make_organisation, make_user

PENDING = ("pending_import",)
CONFIRM_FORM = re.compile(r'<form method="post" action="/imports/confirm"')
CONFIRM_TOKEN = re.compile(r'name="token" value="([^"]+)"')
FONNA_ORGNR = "983974694"
CUSTOM_HEADER = ["Org.nr tilbyder", "Vår ID", "Tilbudets navn", "Helsetjenestenivå", "Type tilbud", "Merknad"]
CUSTOM_MAPPING = {
    "Org.nr tilbyder": "provider_orgnr",
    "Vår ID": "external_id",
    "Tilbudets navn": "name",
    "Helsetjenestenivå": "level",
    "Type tilbud": "forms",
    "Merknad": "ignore",
}
ROWS = [
    [FONNA_ORGNR, "E1", "Lungekurs", "spesialist", "dag", ""],
    [FONNA_ORGNR, "E2", "Hjertekurs", "spesialist", "dag", "ring først"],
    [FONNA_ORGNR, "E3", "Kreftkurs", "spesialist", "dag", ""],
    [FONNA_ORGNR, "E4", "Nakkekurs", "spesialist", "dag", "<b>husk</b>"],
]
CUSTOM_CSV = "\n".join(";".join(r) for r in [["Eksport fra fagsystemet"], CUSTOM_HEADER, *ROWS]).encode() + b"\n"


def upload(browser: TestClient, name: str, data: bytes, **fields: str) -> Any:
    token = form_token(browser, "/imports")
    return browser.post(
        "/imports",
        data={"csrftoken": token, "kind": "rehab-services", **fields},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def submit_mapping(browser: TestClient, token: str, **fields: str) -> Any:
    csrf = form_token(browser, "/imports")
    return browser.post("/imports/mapping", data={"csrftoken": csrf, "token": token, **fields}, follow_redirects=False)


def mapping_token(response: Any) -> str:
    form = response.text[response.text.index('action="/imports/mapping"') :]
    match = CONFIRM_TOKEN.search(form)
    assert match, "the mapping page carries the upload's token"
    return match.group(1)


def all_columns() -> dict[str, str]:
    return {f"col-{i}": CUSTOM_MAPPING[h] for i, h in enumerate(CUSTOM_HEADER)}


def saved_profiles() -> list[tuple[int, str, dict[str, str]]]:
    with transaction() as session:
        return [
            (p.organisation_id, p.name, p.mapping)
            for p in session.execute(select(ImportProfile).order_by(ImportProfile.id)).scalars()  # type: ignore[arg-type]
        ]


def services() -> int:
    with transaction() as session:
        return int(session.execute(select(func.count()).select_from(RehabService)).scalar_one())


def make_profile(org: int, name: str = "Fagsystemet") -> int:
    with transaction() as session:
        data = ImportProfileCreate(
            organisation_id=org, name=name, kind=ImportKind.rehab_services, mapping=CUSTOM_MAPPING
        )
        return int(profiles.create_profile(session, SYSTEM, data)["id"])


def test_unknown_columns_are_listed_with_samples_mapped_and_saved_as_a_profile(editor: TestClient, fonna: int) -> None:
    before = fingerprint(ignore=PENDING)
    page = upload(editor, "egen.csv", CUSTOM_CSV)
    assert page.status_code == 200, page.text
    assert "Tilordne kolonner i egen.csv" in page.text
    assert "<dt>Overskriftsrad</dt><dd>2</dd>" in page.text
    assert '<dd id="missing">Ekstern ID, Navn, Nivå, Form, Tilbyder orgnr</dd>' in page.text
    shown = re.findall(
        r'<th scope="row" class="rk-break" id="h-(\d+)">(.*?)</th>\s*<td class="rk-break">(.*?)</td>', page.text
    )
    assert shown == [
        ("0", "Org.nr tilbyder", " · ".join([FONNA_ORGNR] * 3)),
        ("1", "Vår ID", "E1 · E2 · E3"),
        ("2", "Tilbudets navn", "Lungekurs · Hjertekurs · Kreftkurs"),
        ("3", "Helsetjenestenivå", "spesialist · spesialist · spesialist"),
        ("4", "Type tilbud", "dag · dag · dag"),
        ("5", "Merknad", f"ring først · {escape('<b>husk</b>')}"),  # the first filled values, escaped
    ]
    assert '<option value="ignore" >ignorer</option>' in page.text
    assert '<option value="name" >Navn</option>' in page.text
    assert f'<option value="{fonna}" >Helse Fonna HF</option>' in page.text
    assert fingerprint(ignore=PENDING) == before  # only the upload is kept

    preview = submit_mapping(
        editor, mapping_token(page), **all_columns(), profile_name="Fagsystemet", organisation_id=str(fonna)
    )
    assert preview.status_code == 200, preview.text
    assert "Filen kan importeres" in preview.text
    assert "<dt>Blir opprettet</dt><dd>4</dd>" in preview.text
    assert saved_profiles() == [(fonna, "Fagsystemet", CUSTOM_MAPPING)]
    assert services() == 0
    confirm = editor.post(
        "/imports/confirm",
        data={"csrftoken": form_token(editor, "/imports"), "token": CONFIRM_TOKEN.findall(preview.text)[-1]},
        follow_redirects=False,
    )
    assert confirm.status_code == 303, confirm.text
    assert services() == 4


def test_a_saved_profile_is_offered_next_time_and_reads_the_file(editor: TestClient, fonna: int) -> None:
    profile_id = make_profile(fonna)
    form = editor.get("/imports").text
    assert f'<option value="{profile_id}" >Fagsystemet (Tilbud)</option>' in form
    preview = upload(editor, "egen.csv", CUSTOM_CSV, profile=str(profile_id))
    assert preview.status_code == 200, preview.text
    assert "Filen kan importeres" in preview.text
    assert CONFIRM_FORM.search(preview.text)


def test_a_mapping_that_still_lacks_columns_is_shown_again(editor: TestClient, fonna: int) -> None:
    page = upload(editor, "egen.csv", CUSTOM_CSV)
    token = mapping_token(page)
    partial = {key: value for key, value in all_columns().items() if key != "col-2"}  # the name not mapped
    again = submit_mapping(editor, token, **partial)
    assert again.status_code == 422, again.text
    assert "Filen kan fortsatt ikke leses" in again.text
    assert '<dd id="missing">Navn</dd>' in again.text
    assert services() == 0
    done = submit_mapping(editor, token, **{"col-2": "name"})  # the rest is kept with the upload
    assert done.status_code == 200, done.text
    assert "Filen kan importeres" in done.text


def test_a_profile_cannot_be_saved_for_an_organisation_one_may_not_change(editor: TestClient, fonna: int) -> None:
    other = make_organisation(name="Annen AS")["id"]
    page = upload(editor, "egen.csv", CUSTOM_CSV)
    assert f'<option value="{other}"' not in page.text  # only the editor's own organisations are offered
    before = fingerprint(ignore=PENDING)
    refused = submit_mapping(
        editor, mapping_token(page), **all_columns(), profile_name="Kapret", organisation_id=str(other)
    )
    assert refused.status_code == 422, refused.text
    assert "Bare redaktører i organisasjonen" in refused.text
    assert fingerprint(ignore=PENDING) == before


def test_another_organisations_editor_neither_sees_nor_uses_the_profile(anon: TestClient, fonna: int) -> None:
    profile_id = make_profile(fonna)
    other = make_organisation(name="Annen AS")["id"]
    browser_login(anon, make_user("annen@test.example", Role.editor, [other]))
    assert "Fagsystemet" not in anon.get("/imports").text
    before = fingerprint()
    refused = upload(anon, "egen.csv", CUSTOM_CSV, profile=str(profile_id))
    assert refused.status_code == 422, refused.text
    assert f"Fant ingen importprofil med id {profile_id} for tilbud" in refused.text
    assert fingerprint() == before


def test_someone_elses_mapping_token_is_not_found(editor: TestClient, anon: TestClient, fonna: int) -> None:
    token = mapping_token(upload(editor, "egen.csv", CUSTOM_CSV))
    with TestClient(anon.app) as other:
        browser_login(other, make_user("annen-redaktor@test.example", Role.editor, [fonna]))
        before = fingerprint()
        refused = submit_mapping(other, token, **all_columns(), profile_name="Stjålet", organisation_id=str(fonna))
        assert refused.status_code == 404
        assert fingerprint() == before


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_sheet_is_chosen_on_the_form(editor: TestClient, fonna: int) -> None:
    header = ["Tilbyder orgnr", "Ekstern ID", "Navn", "Nivå", "Form"]
    data = workbook(
        {
            "Forside": [["Om filen"]],
            "A": [header, [FONNA_ORGNR, "A1", "Fra A", "spesialist", "dag"]],
            "B": [
                header,
                [FONNA_ORGNR, "B1", "Fra B", "spesialist", "dag"],
                [FONNA_ORGNR, "B2", "Fra B 2", "spesialist", "dag"],
            ],
        }
    )
    chosen = upload(editor, "bok.xlsx", data, sheet="B")
    assert chosen.status_code == 200, chosen.text
    assert "<dt>Rader i filen</dt><dd>2</dd>" in chosen.text
    default = upload(editor, "bok.xlsx", data)  # the first sheet whose header matches
    assert "<dt>Rader i filen</dt><dd>1</dd>" in default.text
    before = fingerprint(ignore=PENDING)
    unknown = upload(editor, "bok.xlsx", data, sheet="C")
    assert unknown.status_code == 422
    assert "Arbeidsboken har ikke noe ark som heter «C». Arkene i filen er: «Forside», «A», «B»." in unknown.text
    assert 'value="C"' in unknown.text  # the field keeps what was typed
    assert fingerprint(ignore=PENDING) == before


def test_the_organisations_profiles_are_listed_and_deleted_on_the_page(editor: TestClient, fonna: int) -> None:
    profile_id = make_profile(fonna)
    page = editor.get("/imports").text
    listed = page[page.index('id="profiles"') :]
    assert "Fagsystemet (Tilbud):\n    6 kolonner" in listed
    action = f'action="/imports/profiles/{profile_id}/delete"'
    assert action in listed
    csrf = form_token(editor, "/imports")
    stale = editor.post(
        f"/imports/profiles/{profile_id}/delete", data={"csrftoken": csrf, "version": "2"}, follow_redirects=False
    )
    assert stale.status_code == 409
    assert "Profilen er endret siden siden ble vist" in stale.text
    deleted = editor.post(
        f"/imports/profiles/{profile_id}/delete", data={"csrftoken": csrf, "version": "1"}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert saved_profiles() == []
    assert 'id="profiles"' not in editor.get("/imports").text


def test_another_organisations_editor_cannot_delete_a_profile(anon: TestClient, fonna: int) -> None:
    profile_id = make_profile(fonna)
    other = make_organisation(name="Annen AS")["id"]
    browser_login(anon, make_user("annen@test.example", Role.editor, [other]))
    before = fingerprint()
    refused = anon.post(
        f"/imports/profiles/{profile_id}/delete",
        data={"csrftoken": form_token(anon, "/imports"), "version": "1"},
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert "Fant ikke importprofilen." in refused.text
    assert fingerprint() == before
