"""Decides when the source volume must be pushed to the server again.

The volume is pushed once and then unregistered from the connector (so edits do not re-push it
silently); this tracker remembers what was sent (modification time and a content digest) per server
connection, and says when a new push is needed.
"""

import hashlib

import numpy as np


def volume_digest(array, ijk_to_ras):
    """Digest of voxel values, dtype, shape and geometry: equal digests = the server has this volume."""
    a = np.ascontiguousarray(array)
    h = hashlib.blake2b(digest_size=16)
    h.update(str((a.dtype.str, a.shape)).encode("ascii"))
    h.update(np.ascontiguousarray(ijk_to_ras, dtype=np.float64).tobytes())
    h.update(memoryview(a).cast("B"))
    return h.hexdigest()


class VolumeSyncTracker:
    def __init__(self):
        self._sent = {}  # device name -> (modified time, digest)
        self._digests = {}  # device name -> (modified time, digest): one hash per change, on any connection
        self._connection = None

    def on_connection(self, connection_id):
        """A new connection (or reconnect) is a new server session: it holds none of our volumes."""
        if connection_id != self._connection:
            self._connection = connection_id
            self._sent.clear()

    def digest_for(self, name, modified_time, digest_fn):
        """The digest of `name` as of `modified_time`; `digest_fn` runs at most once per modification
        time (hashing a big volume on the GUI thread costs time)."""
        cached = self._digests.get(name)
        if cached is None or cached[0] != modified_time:
            cached = (modified_time, digest_fn())
            self._digests[name] = cached
        return cached[1]

    def needs_push(self, name, modified_time, digest_fn):
        """True when `name` was never sent on this connection or changed since. `digest_fn` is only
        called when the modification time moved."""
        sent = self._sent.get(name)
        if sent is None:
            return True
        sent_time, sent_digest = sent
        if modified_time == sent_time:
            return False
        digest = self.digest_for(name, modified_time, digest_fn)
        if digest == sent_digest:
            self._sent[name] = (modified_time, digest)  # touched but unchanged: no push
            return False
        return True

    def mark_sent(self, name, modified_time, digest_fn):
        """Records a push; reuses the digest needs_push computed for the same modification time."""
        self._sent[name] = (modified_time, self.digest_for(name, modified_time, digest_fn))

    def forget(self, name=None):
        if name is None:
            self._sent.clear()
            self._digests.clear()
        else:
            self._sent.pop(name, None)
            self._digests.pop(name, None)
