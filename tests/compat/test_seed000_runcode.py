"""Seed 000 (Code Interpreter API, Flask): its clients call /runcode with
POST JSON or a GET query string, a Bearer token, and read "output"."""

import requests


def test_post_runcode_as_documented(stack):
    r = requests.post(stack.url + "/runcode",
                      headers={"Authorization": "Bearer " + stack.key},
                      json={"languageType": "python", "variables": {},
                            "code": "print('Hello, World!')"})
    assert r.status_code == 200
    assert r.json() == {**r.json(), "output": "Hello, World!\n"}


def test_get_runcode_as_documented(stack):
    # requests encodes the parameters exactly as a browser form would.
    r = requests.get(stack.url + "/runcode",
                     headers={"Authorization": "Bearer " + stack.key},
                     params={"languageType": "python", "variables": "{}",
                             "code": "print('Hello, World!')"})
    assert r.status_code == 200
    assert r.json()["output"] == "Hello, World!\n"


def test_variables_are_passed_to_the_code(stack):
    r = requests.post(stack.url + "/runcode",
                      headers={"Authorization": "Bearer " + stack.key},
                      json={"languageType": "python",
                            "variables": {"a": 2, "b": [1, 2]},
                            "code": "print(a + sum(b))"})
    assert r.json()["output"] == "5\n"


def test_documented_error_statuses(stack):
    url = stack.url + "/runcode"
    auth = {"Authorization": "Bearer " + stack.key}
    assert requests.post(url, json={"code": "1"}).status_code == 401
    assert requests.post(url, headers={"Authorization": "Bearer nope"},
                         json={"code": "1"}).status_code == 401
    assert requests.post(url, headers=auth, data="{oops",
                         timeout=30).status_code == 400
    assert requests.put(url, headers=auth, json={}).status_code == 405
    r = requests.post(url, headers=auth, json={
        "languageType": "python", "code": "while True: pass"})
    assert r.status_code == 504


def test_images_are_reachable_at_image_filename(stack):
    r = requests.post(stack.url + "/runcode",
                      headers={"Authorization": "Bearer " + stack.key},
                      json={"languageType": "python",
                            "code": "import matplotlib.pyplot as plt\n"
                                    "plt.plot([1, 4, 9])\nplt.show()"})
    url = r.json()["images"][0]
    assert "/image/" in url
    img = requests.get(url)
    assert img.status_code == 200
    assert img.content.startswith(b"\x89PNG")
