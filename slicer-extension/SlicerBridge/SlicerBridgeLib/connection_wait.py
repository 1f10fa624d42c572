"""Requests that wait for the connector to connect (it connects asynchronously and retries on its own).

The Slicer side calls `connected()` from the connector's ConnectedEvent and `expire(token)` from a
single-shot timer, so nothing blocks the GUI thread while waiting.
"""

import itertools
import logging


class ConnectionWaiters:
    def __init__(self):
        self._pending = {}  # token -> (on_connected, on_failed)
        self._tokens = itertools.count(1)

    def add(self, on_connected, on_failed):
        """Registers a waiter; returns its token for `expire`."""
        token = next(self._tokens)
        self._pending[token] = (on_connected, on_failed)
        return token

    @property
    def pending(self):
        return len(self._pending)

    def connected(self):
        """The connection is up: every waiter's on_connected() runs once."""
        waiting, self._pending = self._pending, {}
        for on_connected, _ in waiting.values():
            _call(on_connected)

    def expire(self, token, message):
        """The waiter's time is up: on_failed(message) unless it was already served."""
        entry = self._pending.pop(token, None)
        if entry is not None:
            _call(entry[1], message)

    def fail_all(self, message):
        waiting, self._pending = self._pending, {}
        for _, on_failed in waiting.values():
            _call(on_failed, message)


def _call(callback, *args):
    try:
        callback(*args)
    except Exception:
        logging.exception("SlicerBridge connection waiter failed")
