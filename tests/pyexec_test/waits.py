"""waits - how a test waits, on a fast machine or a slow one.

A test never asserts how long something took and never sleeps in the
hope that something has happened: it polls for the condition up to a
generous bound (wait_for), and every bound goes through scaled(), so a
slower machine (a CI runner, a sanitizer build, valgrind) can stretch
them all at once with PYEXEC_TEST_TIMEOUT_SCALE (default 1).  The bounds
only matter when something is wrong: a wait ends as soon as its
condition holds."""

import os
import threading
import time

SCALE = float(os.environ.get("PYEXEC_TEST_TIMEOUT_SCALE") or 1)


def scaled(seconds):
    """seconds, stretched for a slow machine."""
    return seconds * SCALE


def wait_for(pred, timeout=30, step=0.1):
    """Calls pred until it returns something true or scaled(timeout)
    seconds have passed; returns its last value."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = pred()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def wait_for_status(request, status=200, timeout=30, step=0.5):
    """Sends request() (an HTTP call) until its reply has status, up to
    scaled(timeout) seconds; that reply, or None."""
    def answered():
        r = request()
        return r if r.status == status else None
    return wait_for(answered, timeout, step)


def in_background(fn, *args, **kw):
    """Starts fn(*args, **kw) in a thread.  Returns a function that waits
    for it (up to scaled(300) seconds) and returns its value or raises
    its exception."""
    box = {}

    def run():
        try:
            box["value"] = fn(*args, **kw)
        except BaseException as e:      # handed to the caller
            box["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result():
        thread.join(scaled(300))
        assert not thread.is_alive(), "no answer in %d s" % scaled(300)
        if "error" in box:
            raise box["error"]
        return box["value"]
    return result
