"""Each front-end config of deploy/, as installed, in front of pyexec:
health, a real execution, the 413, the client's address, HTTPS reaching
pyexec, the Authorization header passing through, Server-Sent Events
passed on as they are written, and (for the spawning ones) one pyexec
master only."""

import json
import uuid

import deploy
from pyexec_test.sse import EventStream
from pyexec_test.waits import wait_for

PLOT = ("import matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3], [1, 4, 9])\n"
        "plt.show()\n")


def wait_healthy(fe, tls=False, timeout=60):
    """Until /health is 200 with a warm container: right after start the
    keeper has not yet seen Docker, and /execute would get a 503."""
    def ready():
        status, _, body = fe.request("GET", "/health", tls=tls, key=False)
        return status == 200 and json.loads(body)["pool"]["idle"] >= 1

    wait_for(ready, timeout)


def tls(front):
    """The port the API is served on: the plain one unless it redirects."""
    return not front.plain_serves_api


def test_health_is_200(front):
    wait_healthy(front, tls(front))
    status, headers, body = front.request("GET", "/health", key=False,
                                          tls=tls(front))
    assert status == 200, (status, body, front.logs()[-2000:])
    j = json.loads(body)
    assert j["status"] == "healthy" and j["database"] == "ok"
    assert headers["content-type"].startswith("application/json")


def test_execute_runs_code_and_passes_authorization(front):
    status, _, body = front.request(
        "POST", "/execute", {"code": "print('hello from %s')" % front.name},
        tls=tls(front))
    assert status == 200, (status, body)
    j = json.loads(body)
    assert j["status"] == "completed", j
    assert j["stdout"] == "hello from %s\n" % front.name
    # Without the header the same request is refused, so the 200 above
    # means Authorization reached pyexec.
    status, _, body = front.request("POST", "/execute", {"code": "1"},
                                    key=False, tls=tls(front))
    assert status == 401, (status, body)


def test_body_over_the_limit_gets_pyexecs_json_413(front):
    body = b'{"code": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    status, headers, reply = front.request(
        "POST", "/execute", body, tls=tls(front),
        headers={"Content-Type": "application/json"})
    assert status == 413, (status, reply[:300])
    assert json.loads(reply)["error"] == "payload_too_large"


def test_client_address_reaches_the_access_log(front):
    rid = "deploy-" + uuid.uuid4().hex[:12]
    status, _, _ = front.request("GET", "/status", tls=tls(front),
                                 headers={"X-Request-Id": rid})
    assert status == 200
    line = wait_for(lambda: deploy.access_line(
        front.daemon.log() if front.daemon else front.logs(), rid), 10)
    assert line, "no access line for %s" % rid
    assert "%s GET /status 200" % deploy.CLIENT_ADDR in line, line


def test_https_reaches_pyexec_as_the_image_url_scheme(front):
    for tls in (True, False) if front.plain_serves_api else (True,):
        status, _, body = front.request("POST", "/execute", {"code": PLOT},
                                        tls=tls)
        assert status == 200, (status, body[:300])
        j = json.loads(body)
        assert j["status"] == "completed", j
        assert len(j["images"]) == 1, j
        # Relative without public_url (never from the Host header) ...
        url = j["images"][0]["url"]
        assert url.startswith("/images/"), url
        # ... and the URL works through the same front end.
        status, headers, png = front.request("GET", url, tls=tls, key=False)
        assert status == 200 and png.startswith(b"\x89PNG"), status
        assert headers["content-type"] == "image/png"


def test_events_pass_as_they_are_written(front):
    ticker = ("import time\nfor i in range(10):\n"
              "    print(i)\n    time.sleep(0.2)\n")
    wait_healthy(front, tls(front))
    status, _, body = front.request("POST", "/executions", {"code": ticker},
                                    tls=tls(front))
    assert status == 202, (status, body)
    eid = json.loads(body)["execution_id"]
    s = EventStream(None, "GET", "/executions/%s/events" % eid,
                    key=deploy.KEY, conn=front.connection(tls(front)))
    assert s.status == 200, s.status
    first = s.next()
    assert first.kind == "stdout", first
    if not front.serializes:
        # The first event came while the execution still runs: nothing
        # on the way held it back.
        status, _, body = front.request("GET", "/executions/" + eid,
                                        tls=tls(front))
        assert json.loads(body)["status"] == "running"
    events = [first] + s.rest()
    s.close()
    assert events[-1].kind == "result", events[-1]
    assert "".join(e.data["text"] for e in events[:-1]) == \
        "".join("%d\n" % i for i in range(10))


def test_a_spawning_front_end_runs_one_master(front):
    if not front.spawns:
        return
    # mod_fcgid spawns at the first request; use both ports.
    wait_healthy(front, tls(front))
    front.request("GET", "/health", key=False)
    procs = deploy.descendants(front.proc.pid)
    masters = [p for p, c in procs if c == "pyexec-fcgi"]
    workers = [p for p, c in procs if c == "pyexec-worker"]
    assert len(masters) == 1, procs
    # ... as the web server's user, in group docker, as the config says.
    with open("/proc/%d/status" % masters[0]) as f:
        status = dict(line.split(":", 1) for line in f)
    uid = int(deploy.run(["id", "-u", deploy.WEB_USER]).stdout)
    gid = deploy.grp.getgrnam(deploy.SPAWN_GROUP).gr_gid
    assert int(status["Uid"].split()[1]) == uid, status["Uid"]
    assert int(status["Gid"].split()[1]) == gid, status["Gid"]
    assert len(workers) == 3, procs
    assert "using the listening socket on fd 0" in front.logs()


def test_plain_http_redirects_when_it_does_not_serve_the_api(front):
    if front.plain_serves_api:
        return
    status, headers, _ = front.request("GET", "/health", key=False)
    assert status == 301, status
    assert headers["location"] == front.base_url(True) + "/health"
