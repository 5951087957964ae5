"""Seed 001 (stateful gateway): its Python client uses httpx.AsyncClient,
the X-Auth-Token header, POST /execute {user_uuid, code} reading
result_text and result_base64 after raise_for_status(), and POST /release
reading detail.  This test makes exactly those calls, in its order, with
only the URL and the token changed."""

import asyncio
import base64
import uuid

import httpx


async def client_example(url, token):
    headers = {"X-Auth-Token": token}
    user_id = str(uuid.uuid4())
    seen = []
    async with httpx.AsyncClient() as client:
        async def execute_code(code):
            payload = {"user_uuid": user_id, "code": code}
            response = await client.post(f"{url}/execute", json=payload,
                                         headers=headers, timeout=30.0)
            response.raise_for_status()
            data = response.json()
            seen.append((data.get("result_text"), data.get("result_base64")))

        await execute_code("a = 10\nb = 20")
        await execute_code("result = a * b\n"
                           "print(f'The product is {result}')\nresult")
        await execute_code("""
import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(0, 10, 100)
y = np.sin(x)

plt.figure(figsize=(5, 3))
plt.plot(x, y)
plt.title('Sine Wave')
plt.grid(True)
plt.show()
        """)
        release = await client.post(f"{url}/release",
                                    json={"user_uuid": user_id},
                                    headers=headers)
        return user_id, seen, release


def test_the_client_example_works_unchanged(stack):
    user_id, seen, release = asyncio.run(client_example(stack.url,
                                                        stack.key))
    assert seen[0] == (None, None)
    assert seen[1][0] == "200"
    assert seen[1][1] is None
    png = base64.b64decode(seen[2][1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert release.status_code == 200
    assert release.json().get("detail") == \
        "Worker for user %s has been released." % user_id


def test_status_as_the_gateway_names_it(stack):
    r = httpx.get(stack.url + "/status",
                  headers={"X-Auth-Token": stack.key})
    assert r.status_code == 200
    j = r.json()
    assert isinstance(j["total_workers"], int)
    assert isinstance(j["busy_workers"], int)
    assert isinstance(j["idle_workers_in_pool"], int)
    assert isinstance(j["is_initializing"], bool)


def test_missing_token_is_401(stack):
    r = httpx.post(stack.url + "/execute",
                   json={"user_uuid": "x", "code": "1"})
    assert r.status_code == 401
