"""Concurrent writers: no lost updates and no duplicate rows, on SQLite and PostgreSQL alike."""

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.factories import make_service, service_body

API = "/api/v1/rehab-services"


def test_concurrent_patches_with_the_same_version_have_one_winner(client: TestClient, fonna: int) -> None:
    service = make_service(fonna)
    url = f"{API}/{service['id']}"

    def patch(days: int) -> int:
        return client.patch(url, json={"waiting_time_days": days}, headers={"If-Match": '"1"'}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(patch, range(1, 9)))
    assert sorted(statuses) == [200] + [412] * 7
    final = client.get(url).json()
    assert final["version"] == 2
    assert final["waiting_time_days"] in range(1, 9)


def test_concurrent_upserts_of_one_external_id_make_one_row(client: TestClient, fonna: int) -> None:
    url = f"{API}/by-external-id/{fonna}/samtidig"
    body = {k: v for k, v in service_body(fonna).items() if k != "provider_id"}

    def put(_: int) -> int:
        return client.put(url, json=body).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(put, range(6)))
    assert statuses.count(201) == 1
    # The losers of the race either saw the row (200) or were told to retry (409); never a 500.
    assert set(statuses) <= {200, 201, 409}
    assert len(client.get(API, params={"provider": fonna}).json()["items"]) == 1
