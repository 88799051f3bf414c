"""A real HTTP receiver for webhook tests: a threaded server on 127.0.0.1 that
records every request and answers from a script (status codes, or a hang)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """``answers``: what to answer, in order, one per request (an int is a
    status code, ``("hang", seconds)`` sleeps before answering 200); after the
    script, 200. ``requests``: what arrived, in order."""

    def __init__(self):
        self.requests: list[Received] = []
        self.answers: list = []
        self._lock = threading.Lock()
        self._hangs: list[threading.Event] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    answer = receiver.answers.pop(0) if receiver.answers else 200
                if isinstance(answer, tuple):
                    released = threading.Event()
                    receiver._hangs.append(released)
                    released.wait(answer[1])
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answered {answer}".encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self):
        for released in self._hangs:
            released.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, *, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return self.requests
            time.sleep(0.05)
        raise AssertionError(f"{len(self.requests)} of {count} requests arrived in {timeout}s")
