"""Texts with a national identity number are refused on every surface, write nothing and are never echoed:
the API (422 /problems/personal-data with the field), the pages (an inline Norwegian error) and imports (a row
error on the column)."""

import asyncio
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from app.domain.errors import InvalidInput, validated
from app.domain.imports.batches import stored_file_name
from app.http.errors import domain_problem
from app.kit.personal_data import classify
from app.models.pathway import PathwayFields
from app.models.types import PERSONAL_DATA_MESSAGE
from app.web.forms import masked
from tests.factories import create_service, fingerprint, form_token, make_service, pathway_body, service_body

NUMBER = "15076500565"  # a fødselsnummer with valid check digits (see tests/domain/test_personal_data.py)
D_NUMBER = "63057843731"  # a D-number (23 May 1978 + 40 on the day)
WRITINGS = [NUMBER, f"{NUMBER[:6]} {NUMBER[6:]}", f"{NUMBER[:6]}.{NUMBER[6:]}", f"{NUMBER[:6]}-{NUMBER[6:]}"]
PROBLEM = "/problems/personal-data"


def echoes(text: str, number: str = NUMBER) -> bool:
    """Whether `text` repeats the number or either of its parts."""
    return number[:6] in text or number[6:] in text


def test_the_d_number_is_one() -> None:
    assert classify(D_NUMBER) == "d"


@pytest.mark.parametrize("written", WRITINGS)
def test_a_service_with_a_number_in_its_description_is_refused(client: TestClient, fonna: int, written: str) -> None:
    before = fingerprint()
    body = service_body(fonna, description=f"Henvist av fastlege, pasient {written}.")
    response = client.post("/api/v1/rehab-services", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM
    assert problem["title"] == "Personal data refused"
    assert [(e["loc"], e["field"], e["pointer"]) for e in problem["errors"]] == [
        (["body", "description"], "description", "/description")
    ]
    assert problem["errors"][0]["message"] == PERSONAL_DATA_MESSAGE
    assert not echoes(response.text)
    assert fingerprint() == before
    assert client.get("/api/v1/rehab-services", params={"provider": fonna}).json()["items"] == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": f"Tilbud for {D_NUMBER}"},
        {"contact_name": f"Kari ({D_NUMBER})"},
        {"contact_phone": f"+47 {D_NUMBER}"},
        {"contact_email": f"{D_NUMBER}@example.no"},
        {"website": f"https://example.no/?id={D_NUMBER}"},
        {"referral_criteria": f"Som for {D_NUMBER[:6]}-{D_NUMBER[6:]}"},
        {"external_id": D_NUMBER},
    ],
)
def test_every_free_text_field_is_guarded(client: TestClient, fonna: int, overrides: dict[str, str]) -> None:
    response = client.post("/api/v1/rehab-services", json=service_body(fonna, **overrides))
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == list(overrides)
    assert not echoes(response.text, D_NUMBER)


def test_other_errors_are_listed_beside_it_and_plain_ones_keep_their_type(client: TestClient, fonna: int) -> None:
    both = client.post("/api/v1/rehab-services", json=service_body(fonna, name="", description=NUMBER))
    assert both.json()["type"] == PROBLEM
    assert sorted(e["field"] for e in both.json()["errors"]) == ["description", "name"]
    plain = client.post("/api/v1/rehab-services", json=service_body(fonna, name=""))
    assert plain.json()["type"] == "/problems/validation-error"
    # Look-alikes go through: phone, organisation and account numbers, dates, 11 digits failing the check.
    text = "Tlf 91234567, org.nr. 983974694, konto 1234.56.78903, fra 01.01.2026, ref 12345678901."
    assert client.post("/api/v1/rehab-services", json=service_body(fonna, description=text)).status_code == 201


def test_a_patch_with_a_number_changes_nothing(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna)
    url = f"/api/v1/rehab-services/{service['id']}"
    before = fingerprint()
    response = client.patch(url, json={"description": f"Pasient {NUMBER}"}, headers={"If-Match": '"1"'})
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "description"
    assert not echoes(response.text)
    assert fingerprint() == before
    assert client.get(url).json()["version"] == 1


def test_a_pathway_step_title_with_a_number_is_refused(client: TestClient, owner_org: int) -> None:
    body = pathway_body(owner_org)
    body["steps"][1]["title"] = f"Oppfølging av {NUMBER}"
    before = fingerprint()
    response = client.post("/api/v1/pathway-templates", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEM
    assert [e["pointer"] for e in response.json()["errors"]] == ["/steps/1/title"]
    assert not echoes(response.text)
    assert fingerprint() == before

    created = client.post("/api/v1/pathway-templates", json=pathway_body(owner_org))
    url = f"/api/v1/pathway-templates/{created.json()['id']}"
    checklist = {"steps": [{**body["steps"][1], "title": "Rehabilitering", "checklist": [{"text": NUMBER}]}]}
    for change, pointer in [
        ({"description": f"Se {NUMBER}"}, "/description"),
        (checklist, "/steps/0/checklist/0/text"),
        ({"source": {"title": "Retningslinje", "url": f"https://x.no/{NUMBER}"}}, "/source/url"),
    ]:
        patched = client.patch(url, json=change, headers={"If-Match": '"1"'})
        assert patched.status_code == 422, patched.text
        assert patched.json()["type"] == PROBLEM
        assert [e["pointer"] for e in patched.json()["errors"]] == [pointer]
        assert not echoes(patched.text)
    assert client.get(url).json()["version"] == 1


def test_a_merged_change_refused_in_the_domain_is_a_personal_data_problem() -> None:
    """Writes that merge a change into what is stored validate the result in the domain (`validated`)."""
    with pytest.raises(InvalidInput) as caught:
        validated(PathwayFields, {"title": f"Forløp {NUMBER}", "owner_id": 1}, "Invalid template")
    assert [(e.loc, e.kind) for e in caught.value.errors if e.kind == "personal_data"] == [
        (("body", "title"), "personal_data")
    ]
    scope = {"type": "http", "method": "PATCH", "path": f"/api/v1/x/{NUMBER}", "headers": [], "query_string": b""}
    response = asyncio.run(domain_problem(Request(scope), caught.value))
    assert response.status_code == 422
    body = bytes(response.body).decode()
    assert '"type":"/problems/personal-data"' in body.replace(" ", "")
    assert not echoes(body)  # not even in the instance (the path)


# --- the pages ---------------------------------------------------------------------------------------------


def _service_form(fonna: int, **overrides: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "provider_id": str(fonna),
        "name": "Lungerehabilitering i Fonna",
        "description": "Kurs og trening",
        "level": "specialist",
        "forms": ["day"],
        "patient_groups": ["copd"],
        "catchment_mode": "inherit",
        "status": "active",
    }
    data.update(overrides)
    return data


def _inline_error(html: str, name: str) -> str | None:
    match = re.search(rf'id="e-{name}">([^<]*)<', html)
    return match.group(1) if match else None


def test_the_service_pages_show_the_norwegian_error_inline(editor: TestClient, fonna: int) -> None:
    token = form_token(editor, "/rehab-services/new")
    before = fingerprint()
    created = editor.post(
        "/rehab-services/new", data={**_service_form(fonna, description=f"Pasient {NUMBER}"), "csrftoken": token}
    )
    assert created.status_code == 422
    assert _inline_error(created.text, "description") == PERSONAL_DATA_MESSAGE
    assert fingerprint() == before

    service = make_service(fonna)
    url = f"/rehab-services/{service['id']}/edit"
    token = form_token(editor, url)
    form = _service_form(fonna, version="1", contact_name=f"Kari {NUMBER[:6]} {NUMBER[6:]}")
    before = fingerprint()
    edited = editor.post(url, data={**form, "csrftoken": token})
    assert edited.status_code == 422
    assert _inline_error(edited.text, "contact_name") == PERSONAL_DATA_MESSAGE
    assert fingerprint() == before


def test_a_form_shown_again_can_mask_what_was_typed() -> None:
    values = {"description": f"Pasient {NUMBER}", "forms": ["day", NUMBER], "provider_id": 7, "valid_to": None}
    assert masked(values) == {
        "description": "Pasient •••••••••••",
        "forms": ["day", "•••••••••••"],
        "provider_id": 7,
        "valid_to": None,
    }


def test_the_pages_do_not_echo_the_number(editor: TestClient, fonna: int) -> None:
    """A form shown again after the error has the number masked (the rest of what was typed is kept)."""
    from tests.web.test_pathway_pages import _draft, _post, _step_form

    token = form_token(editor, "/rehab-services/new")
    response = editor.post(
        "/rehab-services/new", data={**_service_form(fonna, description=f"Pasient {NUMBER}"), "csrftoken": token}
    )
    assert response.status_code == 422
    assert not echoes(response.text)
    assert PERSONAL_DATA_MESSAGE in response.text
    assert "Pasient •••••••••••</textarea>" in response.text
    assert 'value="Lungerehabilitering i Fonna"' in response.text  # the other values as typed

    service = make_service(fonna)
    url = f"/rehab-services/{service['id']}/edit"
    form = _service_form(fonna, version="1", contact_name=f"Kari {NUMBER[:6]}-{NUMBER[6:]}")
    edited = editor.post(url, data={**form, "csrftoken": form_token(editor, url)})
    assert edited.status_code == 422
    assert not echoes(edited.text)
    assert PERSONAL_DATA_MESSAGE in edited.text
    assert 'value="Kari ••••••-•••••"' in edited.text

    draft = _draft(fonna)
    base = f"/pathways/{draft['id']}"
    step = _post(editor, f"{base}/steps", _step_form(title=f"Besøk hos {NUMBER}"))
    assert step.status_code == 422
    assert not echoes(step.text)
    assert PERSONAL_DATA_MESSAGE in step.text
    keyed = _post(editor, f"{base}/steps", _step_form(key=NUMBER))  # a step key is a slug: digits may pass it
    assert keyed.status_code == 422
    assert not echoes(keyed.text)
    assert PERSONAL_DATA_MESSAGE in keyed.text
    saved = _post(editor, f"{base}/steps/utredning", _step_form(description=f"Se {NUMBER}"))
    assert saved.status_code == 422
    assert not echoes(saved.text)
    assert PERSONAL_DATA_MESSAGE in saved.text
    fields = _post(editor, f"{base}/edit", {"title": f"Forløp {NUMBER}", "owner_id": str(fonna)})
    assert fields.status_code == 422
    assert not echoes(fields.text)
    assert PERSONAL_DATA_MESSAGE in fields.text
    created = editor.post(
        "/pathways/new",
        data={"csrftoken": form_token(editor, "/pathways/new"), "series": NUMBER, "title": "Forløp"},
    )
    assert created.status_code == 422
    assert not echoes(created.text)
    assert PERSONAL_DATA_MESSAGE in created.text
    history = editor.get(f"/pathways/series/{NUMBER}")  # a series is a slug too: not found, and not repeated
    assert history.status_code == 404
    assert not echoes(history.text)


def test_the_pathway_pages_show_the_norwegian_error_inline(editor: TestClient, fonna: int) -> None:
    from tests.web.test_pathway_pages import _draft, _post, _step_form

    draft = _draft(fonna)
    base = f"/pathways/{draft['id']}"
    before = fingerprint()
    step = _post(editor, f"{base}/steps", _step_form(title=f"Besøk hos {NUMBER}"))
    assert step.status_code == 422
    assert _inline_error(step.text, "ns-title") == PERSONAL_DATA_MESSAGE
    fields = _post(editor, f"{base}/edit", {"title": "Forløp", "owner_id": str(fonna), "description": NUMBER})
    assert fields.status_code == 422
    assert _inline_error(fields.text, "f-description") == PERSONAL_DATA_MESSAGE
    assert fingerprint() == before


# --- imports -----------------------------------------------------------------------------------------------

IMPORTS = "/api/v1/imports"
HEADER = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Beskrivelse;Gyldig fra"


def _import(client: TestClient, *rows: str, dry_run: bool = False) -> Any:
    data = "\n".join([HEADER, *rows]).encode()
    return client.post(IMPORTS, files={"file": ("tilbud.csv", data)}, data={"dry_run": str(dry_run).lower()})


def test_an_import_row_with_a_number_is_a_row_error_and_nothing_is_written(client: TestClient) -> None:
    before = fingerprint()
    for dry_run in (True, False):
        response = _import(
            client,
            "983974694;P1;Dagtilbud;spesialist;dag;Kurs;",
            f"983974694;P2;Kurs;spesialist;dag;Pasient {NUMBER[:6]} {NUMBER[6:]};",
            dry_run=dry_run,
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "/problems/rows-rejected"
        assert [(e["row"], e["column"], e["message"]) for e in problem["row_errors"]] == [
            (3, "Beskrivelse", PERSONAL_DATA_MESSAGE)
        ]
        assert not echoes(response.text)
    assert fingerprint() == before


def test_an_import_message_quoting_a_cell_masks_the_number(client: TestClient) -> None:
    """A cell that is refused for another reason (not a date) is quoted in its message: masked."""
    response = _import(client, f"983974694;P1;Dagtilbud;spesialist;dag;Kurs;{NUMBER}")
    assert response.status_code == 422, response.text
    assert [(e["column"], e["message"]) for e in response.json()["row_errors"]] == [
        ("Gyldig fra", "«•••••••••••» er ikke en dato (skriv dd.mm.åååå eller åååå-mm-dd)")
    ]
    assert not echoes(response.text)


# --- texts that do not pass through the shared types ------------------------------------------------------


@pytest.mark.parametrize("written", [NUMBER, f"{NUMBER[:6]} {NUMBER[6:]}"])
def test_an_import_refuses_a_number_as_external_id(client: TestClient, written: str) -> None:
    """The external ID is read as a plain cell (it is the row's key), then guarded as ExternalId is."""
    before = fingerprint()
    for dry_run in (True, False):
        response = _import(
            client,
            "983974694;P1;Dagtilbud;spesialist;dag;;",
            f"983974694;{written};Dagtilbud;spesialist;dag;;",
            dry_run=dry_run,
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "/problems/rows-rejected"
        assert [(e["row"], e["column"], e["message"]) for e in problem["row_errors"]] == [
            (3, "Ekstern ID", PERSONAL_DATA_MESSAGE)
        ]
        assert not echoes(response.text)
    assert fingerprint() == before


def test_an_import_row_refused_for_its_external_id_reports_its_other_problems_too(client: TestClient) -> None:
    response = _import(client, f"983974694;{NUMBER};Dagtilbud;ukjent;dag;;")
    assert response.status_code == 422, response.text
    assert sorted((e["column"], e["message"]) for e in response.json()["row_errors"]) == [
        ("Ekstern ID", PERSONAL_DATA_MESSAGE),
        ("Nivå", "ukjent nivå «ukjent»; bruk en av: kommunal, spesialist"),
    ]


def test_a_survey_import_refuses_a_number_in_the_contact(client: TestClient) -> None:
    before = fingerprint()
    data = f"Kommunenr;År;Koordinerende enhet kontakt\n4614;2026;Ring {NUMBER}\n".encode()
    response = client.post(IMPORTS, files={"file": ("s.csv", data)}, data={"kind": "municipal-survey"})
    assert response.status_code == 422, response.text
    assert [(e["row"], e["column"], e["message"]) for e in response.json()["row_errors"]] == [
        (2, "Koordinerende enhet kontakt", PERSONAL_DATA_MESSAGE)
    ]
    assert not echoes(response.text)
    assert fingerprint() == before
    fine = "Kommunenr;År;Koordinerende enhet kontakt\n4614;2026;Tlf. 53 00 00 00\n".encode()
    assert client.post(IMPORTS, files={"file": ("s.csv", fine)}, data={"kind": "municipal-survey"}).status_code == 201


def test_a_number_in_the_file_name_is_masked_not_refused(client: TestClient) -> None:
    """The file name is the uploader's label, not catalogue content: the import goes through, the number in
    its name is masked before the name is stored, listed or echoed."""
    data = f"{HEADER}\n983974694;K1;Dagtilbud;spesialist;dag;;\n".encode()
    for dry_run in (True, False):
        response = client.post(
            IMPORTS, files={"file": (f"pasient-{NUMBER}.csv", data)}, data={"dry_run": str(dry_run).lower()}
        )
        assert response.status_code == (200 if dry_run else 201), response.text
        assert response.json()["file_name"] == "pasient-•••••••••••.csv"
        assert not echoes(response.text)
    listed = client.get(IMPORTS)
    assert listed.json()["items"][0]["file_name"] == "pasient-•••••••••••.csv"
    assert not echoes(listed.text)


def test_a_file_name_is_masked_before_it_is_cut() -> None:
    long = "x" * 250 + NUMBER + ".csv"  # the number straddles the 255-character limit
    assert stored_file_name(long) == "x" * 250 + "•••••"
    longer_run = "x" * 244 + NUMBER + "7.csv"  # 12 digits are no number, until the cut leaves the first 11
    assert stored_file_name(longer_run) == "x" * 244 + "•" * 11
    assert stored_file_name(f"Tilbude\u0301 {NUMBER[:6]} {NUMBER[6:]}.xlsx") == "Tilbud\u00e9 •••••• •••••.xlsx"


def test_an_upsert_refuses_a_number_as_the_external_id_in_the_path(client: TestClient, fonna: int) -> None:
    body = service_body(fonna)
    del body["provider_id"]
    before = fingerprint()
    response = client.put(f"/api/v1/rehab-services/by-external-id/{fonna}/{NUMBER}", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == PROBLEM
    assert [(e["loc"], e["message"]) for e in problem["errors"]] == [(["path", "external_id"], PERSONAL_DATA_MESSAGE)]
    assert not echoes(response.text)  # not even in the instance (the path)
    assert fingerprint() == before
    assert client.put(f"/api/v1/rehab-services/by-external-id/{fonna}/K-{NUMBER[:9]}", json=body).status_code == 201


@pytest.mark.parametrize("pointer", ["/series", "/steps/0/key"])
def test_a_slug_that_is_a_number_is_refused(client: TestClient, owner_org: int, pointer: str) -> None:
    """Slugs (series, step keys) allow digits, so 11 of them may be an identity number."""
    body = pathway_body(owner_org)
    if pointer == "/series":
        body["series"] = NUMBER
    else:
        body["steps"][0]["key"] = NUMBER
    before = fingerprint()
    response = client.post("/api/v1/pathway-templates", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEM
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]
    assert not echoes(response.text)
    assert fingerprint() == before
