"""A real HTTP endpoint on 127.0.0.1 (random port) for the event deliveries: it keeps what it
receives and answers as told, per path: ``/ok`` 200, ``/fail`` 500, ``/hang`` after
``hang_seconds``; ``answers[path]`` (a list of statuses) overrides a path's answer, in turn."""
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.addons.wholesale_loyalty.tools.webhooks import signature


def verify(secret, received_headers, text, tolerance=300, now=None):
    """Whether a delivery is genuine, as an endpoint checks it: one of the ``v1`` signatures of
    its header matches, and its timestamp is within ``tolerance`` seconds of ``now``."""
    timestamp = int(received_headers["webhook-timestamp"])
    if now is not None and abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, received_headers["webhook-id"], timestamp, text)
    return any(hmac.compare_digest(expected, given) for given in received_headers["webhook-signature"].split())


class Received:
    def __init__(self, path, headers, body, at):
        self.path, self.headers, self.body, self.at = path, headers, body, at


class Receiver:
    def __init__(self, hang_seconds=3.0):
        self.received = []
        self.answers = {}
        self.hang_seconds = hang_seconds
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are written apart: without this, each answer waits for the
            # client's delayed acknowledgement (40 ms), which no real endpoint makes it wait.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 - the name http.server calls
                text = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers), text, time.monotonic()))
                    queued = receiver.answers.get(self.path)
                    status = queued.pop(0) if queued else None
                if status is None:
                    if self.path.startswith("/hang"):
                        time.sleep(receiver.hang_seconds)
                    status = 500 if self.path.startswith("/fail") else 200
                payload = b"ok" if status < 300 else b"refused"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting (a timeout under test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path):
        with self.lock:
            return [item for item in self.received if item.path == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
