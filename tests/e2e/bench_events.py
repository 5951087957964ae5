"""bench_events - what live output costs, on loopback, run by hand (not a
test):

    PYTHONPATH=tests /usr/bin/python3 tests/e2e/bench_events.py [N [ISOLATION]]

The latency from a print() in user code to its event arriving at a
client (the program prints its own clock; both ends read one clock), for
POST /execute with Accept: text/event-stream (sent live) and for GET
/executions/{id}/events of a background execution (read from the stored
batches); and the machine's CPU (/proc/stat) for an execution printing
1 MiB, streamed and not."""

import statistics
import sys
import time

from pyexec_test.fixtures import finish_stack
from pyexec_test.sse import EventStream
from pyexec_test.stack import Stack

LINES = 40
TICKER = ("import time\n"
          "for i in range(%d):\n"
          "    print(repr(time.time()))\n"
          "    time.sleep(0.05)\n" % LINES)
MEGABYTE = "import sys\nsys.stdout.write('x' * (1 << 20))"


def latencies(stream):
    out = []
    while True:
        e = stream.next()
        if e is None or e.kind == "result":
            return out
        now = time.time()
        for line in e.data["text"].splitlines():
            out.append((now - float(line)) * 1000)


def busy_jiffies():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]      # all but idle, iowait


def cpu_per_run(n, fn):
    import os
    tick = os.sysconf("SC_CLK_TCK")
    before = busy_jiffies()
    for _ in range(n):
        fn()
    return (busy_jiffies() - before) / tick / n * 1000


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    isolation = sys.argv[2] if len(sys.argv) > 2 else "container"
    st = Stack("bench-events", conf={"workers": 4, "pool_min_idle": 2,
                                     "isolation": isolation})
    try:
        st.start()
        st.wait_healthy()
        live, stored = [], []
        for _ in range(3):
            s = EventStream(st, "POST", "/execute",
                            {"code": TICKER, "timeout": 30})
            live += latencies(s)
            s.close()
            r = st.post("/executions", {"code": TICKER, "timeout": 30})
            s = EventStream(st, "GET", "/executions/%s/events"
                            % r.json["execution_id"])
            stored += latencies(s)
            s.close()
        for name, xs in (("print -> event, POST /execute stream", live),
                         ("print -> event, GET .../events", stored)):
            print("%-40s p50 %6.1f ms  p90 %6.1f ms  (%d lines)"
                  % (name, statistics.median(xs),
                     sorted(xs)[int(len(xs) * 0.9)], len(xs)))

        def plain():
            assert st.post("/execute", {"code": MEGABYTE}).status == 200

        def streamed():
            s = EventStream(st, "POST", "/execute", {"code": MEGABYTE})
            assert s.rest()[-1].kind == "result"
            s.close()

        plain()
        streamed()
        a = cpu_per_run(n, plain)
        b = cpu_per_run(n, streamed)
        print("1 MiB of output, %s isolation: %.1f ms CPU plain, %.1f ms "
              "streamed (%.2fx), machine-wide per execution"
              % (isolation, a, b, b / a))
    finally:
        finish_stack(st)


if __name__ == "__main__":
    main()
