"""sse - a Server-Sent Events client over real HTTP for the tests, read
event by event as the bytes arrive (the point of the tests is when they
arrive)."""

import http.client
import json

from .stack import KEY_A
from .waits import scaled


class Event:
    def __init__(self, eid, kind, data):
        self.id = eid
        self.kind = kind
        self.data = json.loads(data) if data else None

    def __repr__(self):
        return "<Event %s %s %r>" % (self.id, self.kind, self.data)


class EventStream:
    """One streaming request on conn (an HTTP(S)Connection of its own),
    or to the stack st.  status and headers are the response's; next()
    is the next event (None at the end of the stream); comments are
    counted, not returned."""

    def __init__(self, st, method, path, body=None, key=KEY_A,
                 last_event_id=None, conn=None):
        headers = {"Accept": "text/event-stream",
                   "Authorization": "Bearer " + key}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn = conn or http.client.HTTPConnection(
            "127.0.0.1", st.port, timeout=scaled(120))
        self.conn.request(method, path, body=body, headers=headers)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.comments = 0

    def header(self, name):
        return self.resp.getheader(name)

    def json(self):
        return json.loads(self.resp.read())

    def next(self):
        eid = kind = None
        data = []
        while True:
            line = self.resp.readline()
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\n")
            if line == "":
                if kind is None and not data:
                    continue
                return Event(eid, kind, "\n".join(data))
            if line.startswith(":"):
                self.comments += 1
            elif line.startswith("id: "):
                eid = int(line[4:])
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])

    def rest(self):
        """Every event up to the end of the stream."""
        out = []
        while True:
            e = self.next()
            if e is None:
                return out
            out.append(e)

    def close(self):
        self.conn.close()
