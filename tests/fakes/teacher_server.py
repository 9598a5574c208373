"""A loopback OpenAI-compatible teacher (and student) for the distill tests, built on :class:`FakeLLMServer`.

Adds dropped connections to the base server's faults (429 with ``retry-after``, 5xx): :meth:`drop`
makes the next ``count`` chat requests close the socket without a reply. ``GET /_fake/prompts`` returns
``{prompt: times answered}`` so an out-of-process test can see what was asked.

Standalone (the kill test and ``bench/bench_distill.py``)::

    python -m tests.fakes.teacher_server --latency 0.05 --fail-every 7 --drop-every 11

prints the base URL on its first line and serves until killed. ``--fail-every N`` answers every Nth
request with a 429 (``retry-after: 0``) and ``--drop-every M`` drops every Mth connection.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from tests.fakes.llm_server import FakeCall, FakeLLMServer, _Failure, _make_handler, _Server


def teacher_reply(call: FakeCall) -> str:
    """A deterministic answer: the prompt's words reversed, so tests can predict it."""
    return "Answer: " + " ".join(reversed(call.prompt.split()))


class FakeTeacher(FakeLLMServer):
    def __init__(self, *, fail_every: int = 0, drop_every: int = 0, **kw):
        kw.setdefault("responder", teacher_reply)
        super().__init__(**kw)
        self._drops = 0
        self.fail_every = fail_every
        self.drop_every = drop_every
        self.dropped = 0
        self.prompts: Counter = Counter()
        self._n = 0

    def drop(self, count: int = 1) -> None:
        with self._lock:
            self._drops += count

    def _take_drop(self) -> bool:
        with self._lock:
            self._n += 1
            if self._drops > 0 or (self.drop_every and self._n % self.drop_every == 0):
                self._drops = max(0, self._drops - 1)
                self.dropped += 1
                return True
            if self.fail_every and self._n % self.fail_every == 0:
                self._failures.append(_Failure(429, 0.0, None))
        return False

    def _answer(self, call: FakeCall):
        reply = super()._answer(call)
        with self._lock:
            self.prompts[call.prompt] += 1
        return reply

    def start(self) -> "FakeTeacher":
        fake = self
        base = _make_handler(self)

        class Handler(base):
            def do_GET(self) -> None:
                if self.path == "/_fake/prompts":
                    with fake._lock:
                        self._send(200, dict(fake.prompts))
                else:
                    super().do_GET()

            def do_POST(self) -> None:
                if fake._take_drop():
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    self.close_connection = True
                    try:
                        import socket

                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                super().do_POST()

        server = _Server((self._host, self._port), Handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="fake OpenAI-compatible teacher")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--drop-every", type=int, default=0)
    args = parser.parse_args(argv)
    server = FakeTeacher(latency=args.latency, port=args.port, fail_every=args.fail_every,
                         drop_every=args.drop_every).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

