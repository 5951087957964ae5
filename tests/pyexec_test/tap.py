"""tap - a pytest plugin (run-suite loads it) that prints one TAP line per
test, so that automake's tap-driver counts pytest results like the C
unit tests'."""

import sys

_results = []


def pytest_runtest_logreport(report):
    # A test fails if any phase fails; it passes when its call passed.
    if report.when == "call" or report.outcome != "passed":
        if report.when != "call" and report.outcome == "passed":
            return
        _results.append((report.nodeid, report.when, report.outcome,
                         getattr(report, "wasxfail", None)))


def pytest_sessionfinish(session, exitstatus):
    out = sys.stdout
    seen = {}
    for nodeid, when, outcome, xfail in _results:
        # An expected failure (a known gap, written down) is TAP's TODO.
        if xfail is not None and outcome == "skipped":
            outcome = "xfail"
        # teardown errors after a passing call count as a failure
        prev = seen.get(nodeid)
        if prev is None or outcome == "failed":
            seen[nodeid] = (when, outcome)
    out.write("\n")
    n = 0
    for nodeid, (when, outcome) in seen.items():
        n += 1
        name = nodeid.split("::", 1)[-1]
        if outcome == "passed":
            out.write("ok %d - %s\n" % (n, name))
        elif outcome == "skipped":
            out.write("ok %d - %s # SKIP\n" % (n, name))
        elif outcome == "xfail":
            out.write("not ok %d - %s # TODO known gap\n" % (n, name))
        else:
            out.write("not ok %d - %s (%s)\n" % (n, name, when))
    if n == 0:
        out.write("not ok 1 - no tests ran (exit status %d)\n" % exitstatus)
        n = 1
    out.write("1..%d\n" % n)
    out.flush()
