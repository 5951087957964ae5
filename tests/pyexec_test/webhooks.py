"""webhooks - a webhook receiver on 127.0.0.1 for the tests of
callback_url, and the Standard Webhooks check of a signature written
with the standard library alone, as the README shows it."""

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time


def verify(secret, headers, body):
    """True when headers (a dict, lower-case names) sign body (bytes) with
    secret ("whsec_..."): base64(HMAC-SHA256(key, id.timestamp.body)) is
    one of the space-separated "v1,..." signatures."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = "%s.%s.%s" % (headers["webhook-id"], headers["webhook-timestamp"],
                           body.decode())
    expected = base64.b64encode(hmac.new(key, signed.encode(),
                                         hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(s, "v1," + expected)
               for s in headers["webhook-signature"].split())


class Receiver:
    """An HTTP server that keeps every POST it gets.  answers: statuses to
    give in turn (the last one repeats), or (status, {header: value});
    "hang" holds the connection until release() (or 60 s).  host: the
    loopback address to listen on."""

    def __init__(self, answers=(200,), host="127.0.0.1"):
        self.answers = list(answers)
        self.calls = []             # (time, headers, body, status)
        self.lock = threading.Lock()
        self.released = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    n = len(receiver.calls)
                    answer = receiver.answers[min(n, len(receiver.answers)
                                                  - 1)]
                    receiver.calls.append((time.time(), {
                        k.lower(): v for k, v in self.headers.items()},
                        body, answer))
                extra = {}
                if answer == "hang":
                    receiver.released.wait(60)
                    answer = 200
                if isinstance(answer, tuple):
                    answer, extra = answer
                self.send_response(answer)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d/hook" % (host, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def got(self, n=1):
        """The calls so far if there are at least n, else None."""
        with self.lock:
            return list(self.calls) if len(self.calls) >= n else None

    def json(self, i):
        return json.loads(self.calls[i][2])

    def release(self):
        self.released.set()

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()
