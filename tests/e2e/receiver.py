"""A real webhook receiver for the end-to-end tests: an HTTP server in a thread of the test.

It verifies every delivery's signature with the ``standardwebhooks`` library, as a consumer
would, records what it received per subscription (path ``/<name>``), and answers as its current
``mode`` says: 200, 503 (down), or 200 after ``delay`` seconds (a slow receiver).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True, slots=True)
class Delivery:
    path: str
    webhook_id: str
    record: dict[str, Any]
    answered: int
    received: float
    """``time.time()`` when the request arrived: compared with records' ``committed_at``."""


@dataclass
class Receiver:
    secrets: dict[str, str] = field(default_factory=dict)
    """Secret per path, to verify signatures."""
    status: int = 200
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
                path = self.path.strip("/")
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                try:
                    Webhook(receiver.secrets[path]).verify(body, dict(self.headers.items()))
                except (WebhookVerificationError, KeyError):
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    status = 400
                with receiver.lock:
                    receiver.deliveries.append(
                        Delivery(path, self.headers["webhook-id"], json.loads(body), status, time.time())
                    )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def delivered(self, path: str) -> list[Delivery]:
        """The deliveries to ``path`` that were answered 2xx, in arrival order."""
        with self.lock:
            return [d for d in self.deliveries if d.path == path and 200 <= d.answered < 300]
