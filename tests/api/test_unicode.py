"""Unicode normalisation: text is stored and searched in NFC, whichever way a client encoded 'Å'."""

import unicodedata

import pytest
from fastapi.testclient import TestClient

from app.domain.imports.columns import text
from app.kit.text import fold, like_pattern
from tests.factories import create_organisation, create_service, make_service

API = "/api/v1/rehab-services"
COMPOSED = "\u00c5lesund"  # 'Å' as one code point
DECOMPOSED = "A\u030alesund"  # 'A' + combining ring above


def found(client: TestClient, q: str) -> list[int]:
    response = client.get(API, params={"q": q})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_fold_gives_one_form_for_canonically_equal_text() -> None:
    assert COMPOSED != DECOMPOSED
    assert fold(COMPOSED) == fold(DECOMPOSED) == "\u00e5lesund"
    assert unicodedata.is_normalized("NFC", fold(DECOMPOSED, "Tr\u00f8ndelag"))
    assert fold("\u0130stanbul") == unicodedata.normalize("NFC", "\u0130stanbul".casefold())  # folding decomposes
    assert like_pattern(DECOMPOSED) == like_pattern(COMPOSED) == "%\u00e5lesund%"


def test_import_cells_are_nfc_and_keep_their_control_characters_for_the_schema() -> None:
    assert text(f"  {DECOMPOSED}\t") == COMPOSED
    assert text("\x1cKurs") == "\x1cKurs"  # str.strip() would drop it; the schema refuses it instead


@pytest.mark.parametrize(("stored", "query"), [(DECOMPOSED, COMPOSED), (COMPOSED, DECOMPOSED)])
def test_a_service_is_found_however_name_and_query_are_encoded(
    client: TestClient, fonna: int, stored: str, query: str
) -> None:
    service = create_service(client, fonna, name=f"{stored} rehabilitering", description=f"Kurs i {stored}")
    assert service["name"] == f"{COMPOSED} rehabilitering"
    assert service["description"] == f"Kurs i {COMPOSED}"
    assert client.get(f"{API}/{service['id']}").json()["name"] == f"{COMPOSED} rehabilitering"
    assert found(client, query) == [service["id"]]
    assert found(client, query.upper()) == [service["id"]]


def test_a_patched_name_is_stored_in_nfc_and_found(client: TestClient, fonna: int) -> None:
    service = make_service(fonna)
    response = client.patch(
        f"{API}/{service['id']}", json={"name": f"Kurs i {DECOMPOSED}"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == f"Kurs i {COMPOSED}"
    assert found(client, COMPOSED) == [service["id"]]


def test_length_limits_count_composed_characters(client: TestClient, fonna: int) -> None:
    name = "a" * 199 + "A\u030a"  # 201 code points, 200 characters in NFC
    service = create_service(client, fonna, name=name)
    assert service["name"] == "a" * 199 + "\u00c5"


def test_an_organisation_is_found_however_it_was_encoded(client: TestClient) -> None:
    org = create_organisation(client, name=f"{DECOMPOSED} Rehabiliteringssenter AS")
    assert org["name"] == f"{COMPOSED} Rehabiliteringssenter AS"
    for query in (f"{COMPOSED} rehab", f"{DECOMPOSED} REHAB"):
        items = client.get("/api/v1/organisations", params={"q": query}).json()["items"]
        assert [o["id"] for o in items] == [org["id"]], query


@pytest.mark.parametrize("query", [COMPOSED, DECOMPOSED, "a\u030aLESUND"])
def test_municipality_search_with_either_encoding(client: TestClient, query: str) -> None:
    response = client.get("/api/v1/municipalities", params={"q": query})
    assert response.status_code == 200, response.text
    assert [m["number"] for m in response.json()["items"]] == ["1508"]
    assert response.json()["items"][0]["name"] == COMPOSED


def test_an_import_stores_names_and_its_file_name_in_nfc(client: TestClient) -> None:
    rows = (
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Pasientgrupper\n"
        f"983974694;K1;Kurs i {DECOMPOSED};spesialist;dag;KOLS\n"
    )
    response = client.post(
        "/api/v1/imports",
        files={"file": (f"{DECOMPOSED}.csv", rows.encode())},
        data={"kind": "rehab-services", "dry_run": "false"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["file_name"] == f"{COMPOSED}.csv"
    items = client.get(API, params={"q": COMPOSED}).json()["items"]
    assert [(s["external_id"], s["name"]) for s in items] == [("K1", f"Kurs i {COMPOSED}")]
