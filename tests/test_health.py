import pytest

pytestmark = pytest.mark.anyio


async def test_healthz_answers_when_the_database_answers(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
