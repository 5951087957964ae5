"""Live output as Server-Sent Events (SPEC 9): GET /executions/{id}/events
and POST /execute with Accept: text/event-stream, through the project's
lighttpd.conf.  Events arrive while the code runs; a stream resumed with
Last-Event-ID, or opened after the end, gets every event exactly once."""
import signal
import uuid

from pyexec_test.sse import EventStream
from pyexec_test.stack import KEY_B
from pyexec_test.waits import in_background, wait_for

# workers_max 8: a key may hold two streams at once (a quarter).
STACK_CONF = {"workers": 6, "workers_max": 8, "pool_min_idle": 2,
              "async_executors": 2}

# Ten lines, one every 200 ms; no flush: a watched program's stdout goes
# line by line.
TICKER = ("import time\n"
          "for i in range(10):\n"
          "    print('line', i)\n"
          "    time.sleep(0.2)\n")
TICKER_OUT = "".join("line %d\n" % i for i in range(10))
# A line every 0.2 s for a minute: a stream whose client left notices at
# its next write.
LONG_TICKER = ("import time\nfor i in range(300):\n"
               "    print(i)\n    time.sleep(0.2)")


def submit(st, code, **fields):
    r = st.request("POST", "/executions", dict(code=code, **fields))
    assert r.status == 202, r
    return r.json["execution_id"]


def submit_as(st, key, code):
    r = st.request("POST", "/executions", {"code": code, "timeout": 120},
                   key=key)
    assert r.status == 202, r
    return r.json["execution_id"]


def events_of(st, eid, **kw):
    return EventStream(st, "GET", "/executions/%s/events" % eid, **kw)


def open_streams(st, eid, n, **kw):
    """n streams of eid at once, waiting (on a slow machine) for streams
    an earlier test closed to be noticed and given back."""
    def attempt():
        streams = [events_of(st, eid, **kw) for _ in range(n)]
        if all(s.status == 200 for s in streams):
            return streams
        for s in streams:
            s.close()
        return None
    return wait_for(attempt, 30)


def texts(events, kind="stdout"):
    return "".join(e.data["text"] for e in events if e.kind == kind)


def assert_numbered(events):
    assert [e.id for e in events] == list(range(events[0].id,
                                                events[0].id + len(events)))


def test_lines_arrive_while_it_runs(stack):
    eid = submit(stack, TICKER)
    s = events_of(stack, eid)
    assert s.status == 200
    assert s.header("Content-Type").startswith("text/event-stream")
    first = s.next()
    assert first.kind == "stdout" and first.id == 1, first
    # It arrived before the end: the execution still runs.
    assert stack.get("/executions/" + eid).json["status"] == "running"
    events = [first] + s.rest()
    s.close()
    assert events[-1].kind == "result"
    assert events[-1].data["status"] == "completed"
    assert events[-1].data["stdout"] == TICKER_OUT
    assert texts(events) == TICKER_OUT
    assert_numbered(events)


def test_resume_with_last_event_id_has_no_gap_and_no_repeat(stack):
    eid = submit(stack, TICKER)
    s = events_of(stack, eid)
    seen = [s.next() for _ in range(3)]
    s.close()
    s = events_of(stack, eid, last_event_id=seen[-1].id)
    rest = s.rest()
    s.close()
    events = seen + rest
    assert_numbered(events)
    assert texts(events) == TICKER_OUT
    assert events[-1].kind == "result"


def test_after_the_end_it_replays_everything_then_204(stack):
    eid = submit(stack, "import sys\nprint('out')\n"
                        "print('err', file=sys.stderr)")
    j = stack.get("/executions/%s?wait=30" % eid).json
    assert j["status"] == "completed"
    s = events_of(stack, eid)
    events = s.rest()
    s.close()
    assert texts(events) == "out\n" and texts(events, "stderr") == "err\n"
    assert events[-1].kind == "result" and events[-1].data["execution_id"] == eid
    s = events_of(stack, eid, last_event_id=events[-1].id)
    assert s.status == 204
    s.close()


def test_post_execute_streams_and_ends_with_the_reply(stack):
    s = EventStream(stack, "POST", "/execute", {"code": TICKER})
    assert s.status == 200
    first = s.next()
    assert first.kind == "stdout"
    events = [first] + s.rest()
    s.close()
    reply = events[-1]
    assert reply.kind == "result" and reply.data["status"] == "completed"
    assert reply.data["stdout"] == TICKER_OUT == texts(events)
    # The same events are stored: the record's stream replays them.
    s = events_of(stack, reply.data["execution_id"])
    again = s.rest()
    s.close()
    assert [(e.id, e.kind) for e in again[:-1]] == \
        [(e.id, e.kind) for e in events[:-1]]


def test_a_session_cell_streams(stack):
    session = "ev-" + uuid.uuid4().hex[:10]
    s = EventStream(stack, "POST", "/sessions/%s/execute" % session,
                    {"code": "x = 41\nprint('a')\nprint('b')"})
    events = s.rest()
    s.close()
    assert texts(events) == "a\nb\n"
    assert events[-1].data["session_state"] == "preserved"
    s = EventStream(stack, "POST", "/sessions/%s/execute" % session,
                    {"code": "print(x + 1)"})
    assert texts(s.rest()) == "42\n"
    s.close()
    stack.post("/release", {"session_id": session})


def test_a_figure_is_an_image_event(stack):
    s = EventStream(stack, "POST", "/execute", {
        "code": "import matplotlib.pyplot as plt\n"
                "plt.plot([1, 2, 3]); plt.show()\nprint('done')"})
    events = s.rest()
    s.close()
    images = [e for e in events if e.kind == "image"]
    assert len(images) == 1, events
    r = stack.get(images[0].data["url"].split("127.0.0.1:%d" % stack.port)[-1])
    assert r.status == 200 and r.body.startswith(b"\x89PNG")
    assert images[0].data["id"] == events[-1].data["images"][0]["id"]


def test_a_megabyte_is_capped_as_today(stack):
    eid = submit(stack, "import sys\nsys.stdout.write('x' * (3 << 20))")
    s = events_of(stack, eid)
    events = s.rest()
    s.close()
    result = events[-1].data
    assert result["truncated"] is True
    out = texts(events)
    assert out == result["stdout"] and set(out) == {"x"}
    assert 0 < len(out) <= 1 << 20
    assert stack.post("/execute", {"code": "print(1)"}).json["stdout"] == \
        "1\n"


def test_a_client_that_goes_away_does_not_stop_it(stack):
    eid = "ev-" + uuid.uuid4().hex[:10]
    s = EventStream(stack, "POST", "/execute",
                    {"code": TICKER, "execution_id": eid})
    assert s.next().kind == "stdout"
    s.close()
    j = wait_for(lambda: (lambda r: r if r["status"] != "running" else None)(
        stack.get("/executions/%s?wait=30" % eid).json), 60)
    assert j["status"] == "completed" and j["stdout"] == TICKER_OUT


def test_an_idle_stream_says_it_is_alive(stack):
    """Both kinds of stream, side by side: 17 s of silence, then a line."""
    sleeper = "import time\ntime.sleep(17)\nprint('late')"

    def live():
        s = EventStream(stack, "POST", "/execute",
                        {"code": sleeper, "timeout": 60})
        first = s.next()
        s.close()
        return first, s.comments

    posted = in_background(live)
    s = events_of(stack, submit(stack, sleeper, timeout=60))
    first = s.next()
    assert first.kind == "stdout" and s.comments >= 1, (first, s.comments)
    # To the end: the stream's place is given back before the next test.
    assert s.rest()[-1].kind == "result"
    s.close()
    first, comments = posted()
    assert first.kind == "stdout" and comments >= 1, (first, comments)


def cancel(st, eid, key=True):
    r = st.request("POST", "/executions/%s/cancel" % eid, key=key)
    assert r.status in (200, 202), r


def test_a_key_holds_a_quarter_of_the_workers_in_streams_at_most(stack):
    eid = submit(stack, LONG_TICKER, timeout=120)
    other = submit_as(stack, KEY_B, LONG_TICKER)
    try:
        streams_of_one_key_are_capped(stack, eid, other)
    finally:
        # Ended either way: a running ticker would hold the drain.
        cancel(stack, eid)
        cancel(stack, other, KEY_B)


def streams_of_one_key_are_capped(stack, eid, other):
    held = open_streams(stack, eid, 2)
    assert held, "two streams of one key were never served at once"
    for s in held:
        assert s.next().kind == "stdout"
    extra = events_of(stack, eid)
    assert extra.status == 429, extra.status
    assert "quarter of workers_max" in extra.json()["detail"]
    extra.close()
    # Another key is not held back by this one's streams.
    s = events_of(stack, other, key=KEY_B)
    assert s.status == 200 and s.next().kind == "stdout"
    s.close()
    # A stream that ends gives its place back.
    held.pop().close()
    s = wait_for(lambda: (lambda s: s if s.status == 200 else s.close())(
        events_of(stack, eid)), 30)
    assert s.next().kind == "stdout"
    for s in held + [s]:
        s.close()


def test_a_reload_ends_a_stream_and_the_client_resumes(stack):
    """SIGHUP replaces every worker, one at a time, each once its request
    is done: a stream's worker ends it there, without a result, instead
    of holding the reload until the execution ends."""
    eid = submit(stack, LONG_TICKER, timeout=120)
    try:
        s, = open_streams(stack, eid, 1)
        seen = [s.next(), s.next()]
        stack.master.send_signal(signal.SIGHUP)
        seen += s.rest()
        s.close()
        assert seen[-1].kind == "stdout", seen[-1]
        assert stack.get("/executions/" + eid).json["status"] == "running"
        # As EventSource does: the roll may cut a resumed stream too, at
        # most once per worker.
        want = len(seen) + 3
        for _ in range(STACK_CONF["workers_max"] + 1):
            s, = open_streams(stack, eid, 1, last_event_id=seen[-1].id)
            for e in iter(s.next, None):
                seen.append(e)
                if len(seen) == want:
                    break
            s.close()
            if len(seen) == want:
                break
        assert len(seen) == want, seen
        assert_numbered(seen)
        assert {e.kind for e in seen} == {"stdout"}
    finally:
        cancel(stack, eid)


def test_bad_requests(stack):
    r = stack.get("/executions/nope/events")
    assert r.status == 404 and r.json["error"] == "not_found"
    eid = submit(stack, "print(1)")
    assert stack.get("/executions/%s/events" % eid, key=KEY_B).status == 404
    s = events_of(stack, eid, last_event_id="x1")
    assert s.status == 400 and "Last-Event-ID" in s.json()["detail"]
    s.close()
    # A policy violation is refused as a plain JSON error, not a stream.
    s = EventStream(stack, "POST", "/execute",
                    {"code": "import os\nos.system('id')"})
    assert s.status == 400 and s.json()["error"] == "unsafe_code"
    s.close()
