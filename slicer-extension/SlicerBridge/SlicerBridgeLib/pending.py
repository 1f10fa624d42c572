"""Requests waiting for an answer, each with its own deadline.

The connector expires commands only in its periodic processing, which does not run while the server
is down (see connection_monitor), so the extension keeps its own deadlines and checks them from its
poll timer.
"""


class PendingRequests:
    def __init__(self):
        self._entries = {}  # key -> (deadline, value)

    def __len__(self):
        return len(self._entries)

    def __contains__(self, key):
        return key in self._entries

    def add(self, key, deadline, value):
        self._entries[key] = (deadline, value)

    def pop(self, key):
        """The value of `key`, removed; None when it is not (or no longer) pending."""
        entry = self._entries.pop(key, None)
        return None if entry is None else entry[1]

    def pop_expired(self, now):
        """[(key, value)] whose deadline is at or before `now`, removed, oldest deadline first."""
        due = sorted(((d, k) for k, (d, _) in self._entries.items() if d <= now), key=lambda e: e[0])
        return [(k, self._entries.pop(k)[1]) for _, k in due]

    def pop_all(self):
        entries, self._entries = self._entries, {}
        return [(k, v) for k, (_, v) in entries.items()]
