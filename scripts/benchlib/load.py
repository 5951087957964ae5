"""load - HTTP clients that drive a pyexec stack through lighttpd.

Every answer is checked against the output the code must print; a wrong
answer is an error, a 503 is counted apart (issue 15 wants zero of both).
"""

import http.client
import json
import threading
import time


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class Result:
    """Latencies of the good answers, and what went wrong."""

    def __init__(self):
        self.lat, self.errors, self.n503 = [], 0, 0
        self.samples = []           # a few bad answers, to show
        self.wall = 0.0
        self.lock = threading.Lock()

    def add(self, status, raw, ms, want):
        with self.lock:
            if ok_answer(status, raw, want):
                self.lat.append(ms)
                return
            if status == 503:
                self.n503 += 1
            else:
                self.errors += 1
            if len(self.samples) < 3:
                self.samples.append("%d %s" % (status, raw[:160]))

    @property
    def n(self):
        return len(self.lat)

    @property
    def rate(self):
        return self.n / self.wall if self.wall else float("nan")


def ok_answer(status, raw, want):
    if status != 200:
        return False
    try:
        j = json.loads(raw)
    except ValueError:
        return False
    if j.get("status") != "completed":
        return False
    if want is None:                        # a plot: one image, no text
        return len(j.get("images") or []) == 1
    return j.get("stdout") == want


class Client:
    """One keep-alive connection through lighttpd."""

    def __init__(self, port, key):
        self.port, self.key = port, key
        self.conn = None

    def post(self, path, body):
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=300)
                t0 = time.perf_counter()
                self.conn.request("POST", path, data, {
                    "Authorization": "Bearer " + self.key,
                    "Content-Type": "application/json"})
                r = self.conn.getresponse()
                raw = r.read()
                return r.status, raw, (time.perf_counter() - t0) * 1000
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    return 0, b"", 0.0

    def close(self):
        if self.conn:
            self.conn.close()


def sequential(port, key, code, want, n, gap_s=0.0):
    """n requests one after another, gap_s apart (start to start when the
    answer comes sooner)."""
    c, res = Client(port, key), Result()
    t0 = time.monotonic()
    for i in range(n):
        started = time.monotonic()
        status, raw, ms = c.post("/execute", {"code": code})
        res.add(status, raw, ms, want)
        if gap_s and i + 1 < n:
            time.sleep(max(0.0, started + gap_s - time.monotonic()))
    res.wall = time.monotonic() - t0
    c.close()
    return res


def concurrent(port, key, code, want, clients, seconds):
    """`clients` closed-loop clients for `seconds`."""
    res = Result()
    stop = time.monotonic() + seconds

    def run():
        c = Client(port, key)
        while time.monotonic() < stop:
            status, raw, ms = c.post("/execute", {"code": code})
            res.add(status, raw, ms, want)
        c.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res.wall = time.monotonic() - t0
    return res


def session_calls(port, key, n, sid):
    """A session's first call, then n more that use its state."""
    c = Client(port, key)
    first = Result()
    status, raw, ms = c.post("/execute", {"session_id": sid,
                                          "code": "x = 1\nprint('hello')"})
    first.add(status, raw, ms, "hello\n")
    res = Result()
    t0 = time.monotonic()
    for _ in range(n):
        status, raw, ms = c.post("/execute", {
            "session_id": sid, "code": "x += 1\nprint('hello')"})
        res.add(status, raw, ms, "hello\n")
    res.wall = time.monotonic() - t0
    c.post("/release", {"session_id": sid})
    c.close()
    return first, res
