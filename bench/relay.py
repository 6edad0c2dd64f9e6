"""A real SMTP server for the tests and the benchmark (aiosmtpd), in a thread, with the
faults a council's relay shows: slow, refusing connections (stopped), 550 for some
recipients, and not answering at all."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import threading
import time

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: noise in test output, and a cost per message.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999), so that no outgoing
    connection takes it while the relay is stopped and then restarted on it."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class RelayHandler:
    def __init__(self) -> None:
        self.delay = 0.0  # seconds per message ("slow mode")
        self.hang = False  # accept the connection, never answer DATA ("stops answering")
        self.refuse: set[str] = set()  # recipients answered 550
        self.received: list[str] = []  # one recipient per accepted message
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hang:
            await asyncio.sleep(3600)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class Relay:
    """``with Relay() as relay:`` — ``relay.stop()`` makes it refuse connections (nothing
    listens on the port), ``relay.start()`` brings it back on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = RelayHandler()
        self.controller: Controller | None = None

    def start(self) -> Relay:
        # ready_timeout: a loaded machine (two cores, several test runs) starts slowly.
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=30
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> Relay:
        return self if self.controller is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.handler.received) >= count:
                return True
            time.sleep(0.05)
        return False
