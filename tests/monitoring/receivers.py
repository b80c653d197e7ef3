"""Local stand-ins for the outside world: an HTTP webhook receiver and an SMTP server.

Both listen on 127.0.0.1 on a free port, run in a thread, and record what arrived.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Webhook:
    """What the receiver saw. The first `hold_first` requests hang until released,
    the next `fail_first` get HTTP 500. With `dedupe`, a request whose
    Idempotency-Key was already accepted is answered 200 and not accepted again,
    as the README tells receivers to do."""

    fail_first: int = 0
    hold_first: int = 0
    dedupe: bool = False
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: The Idempotency-Key header of each request, in arrival order ("" if absent).
    keys: list[str] = field(default_factory=list)
    accepted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    accepted_keys: set[str] = field(default_factory=set)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def webhook_receiver(
    *, fail_first: int = 0, hold_first: int = 0, dedupe: bool = False
) -> Iterator[Webhook]:
    hook = Webhook(fail_first=fail_first, hold_first=hold_first, dedupe=dedupe)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            delivery = self.headers.get("X-Socialbot-Delivery", "")
            key = self.headers.get("Idempotency-Key", "")
            with hook.lock:
                hook.requests.append((delivery, body))
                hook.keys.append(key)
                n = len(hook.requests)
            if n <= hook.hold_first:  # the sender dies while we "process" the request
                hook.holding.set()
                hook.release.wait(30)
                self.close_connection = True
                return
            if n <= hook.hold_first + hook.fail_first:
                self.send_response(500)
                self.end_headers()
                return
            with hook.lock:
                if not (hook.dedupe and key in hook.accepted_keys):
                    hook.accepted.append((delivery, body))
                    hook.accepted_keys.add(key)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """Enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to receive mail."""
    box = Mailbox()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 localhost test SMTP")
            sender, rcpts = "", []
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                cmd = raw.decode().strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    self.reply("250-localhost")
                    self.reply("250 8BITMIME")
                elif verb == "HELO":
                    self.reply("250 localhost")
                elif verb == "MAIL":
                    sender, rcpts = cmd.split(":", 1)[1].strip(), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(cmd.split(":", 1)[1].strip())
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    msg = message_from_bytes(b"".join(lines), policy=policy.default)
                    box.messages.append(msg)  # type: ignore[arg-type]
                    box.envelopes.append((sender, rcpts))
                    self.reply("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
