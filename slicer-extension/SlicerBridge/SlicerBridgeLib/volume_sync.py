"""Decides when the source volume must be pushed to the server again.

The volume is pushed once per server session and then unregistered from the connector (so edits do
not re-push it silently). What was sent is remembered as (image data modification time, geometry,
content digest). Only the image data's own modification time counts: node attributes, which the
connector itself sets when pushing, change the node but not its voxels. When that time moves, the
voxels are hashed again (off the GUI thread for big volumes, see BackgroundDigests) and pushed only if
they really changed.
"""

import hashlib
import threading

import numpy as np

PUSH = "push"  # the server does not hold this content: push now
CURRENT = "current"  # the server holds exactly this content
CHECK = "check"  # the voxels were touched; their digest must be known before deciding

# Volumes up to this size are hashed on the calling thread (about 10 ms); bigger ones in a thread.
SYNC_DIGEST_MAX_BYTES = 8 * 2**20


def volume_digest(array, ijk_to_ras):
    """Digest of voxel values, dtype, shape and geometry: equal digests = the server has this volume."""
    a = np.ascontiguousarray(array)
    h = hashlib.blake2b(digest_size=16)
    h.update(str((a.dtype.str, a.shape)).encode("ascii"))
    h.update(np.ascontiguousarray(ijk_to_ras, dtype=np.float64).tobytes())
    h.update(memoryview(a).cast("B"))  # hashlib releases the GIL for large buffers
    return h.hexdigest()


def geometry_key(ijk_to_ras):
    return np.ascontiguousarray(ijk_to_ras, dtype=np.float64).tobytes()


class VolumeSyncTracker:
    def __init__(self):
        self._sent = {}  # device name -> [image mtime, geometry key, digest or None]; this connection
        self._digests = {}  # device name -> (image mtime, digest): the newest known, on any connection
        self._connection = None

    def on_connection(self, connection_id):
        """A new connection (or reconnect) is a new server session: it holds none of our volumes."""
        if connection_id != self._connection:
            self._connection = connection_id
            self._sent.clear()

    def known_digest(self, name, image_mtime):
        cached = self._digests.get(name)
        return cached[1] if cached is not None and cached[0] == image_mtime else None

    def plan(self, name, image_mtime, geometry):
        """PUSH, CURRENT or CHECK for the volume `name` whose image data has modification time
        `image_mtime` and whose IJK-to-RAS is `geometry` (a geometry_key)."""
        sent = self._sent.get(name)
        if sent is None or sent[1] != geometry:
            return PUSH
        if sent[0] == image_mtime:
            return CURRENT
        if sent[2] is None:
            return PUSH  # what was sent has no digest (yet): nothing to compare with
        digest = self.known_digest(name, image_mtime)
        if digest is None:
            return CHECK
        if digest == sent[2]:
            sent[0] = image_mtime  # touched but unchanged: no push
            return CURRENT
        return PUSH

    def mark_sent(self, name, image_mtime, geometry):
        self._sent[name] = [image_mtime, geometry, self.known_digest(name, image_mtime)]

    def digest_ready(self, name, image_mtime, digest):
        """A digest of `name` as it was at `image_mtime` (computed now or in the background)."""
        self._digests[name] = (image_mtime, digest)
        sent = self._sent.get(name)
        if sent is not None and sent[0] == image_mtime and sent[2] is None:
            sent[2] = digest

    def forget(self, name=None):
        if name is None:
            self._sent.clear()
            self._digests.clear()
        else:
            self._sent.pop(name, None)
            self._digests.pop(name, None)


class BackgroundDigests:
    """Hashes volumes in worker threads, one job per (name, modification time).

    The caller keeps the array alive (it is a view of the volume's memory) and, when collecting,
    drops a digest whose volume was modified while it was being hashed (its modification time moved).
    """

    def __init__(self, digest_fn=volume_digest):
        self._digest_fn = digest_fn
        self._lock = threading.Lock()
        self._running = {}  # (name, mtime) -> thread
        self._done = []  # (name, mtime, digest)

    def start(self, name, image_mtime, array, ijk_to_ras):
        key = (name, image_mtime)
        with self._lock:
            if key in self._running:
                return
            thread = threading.Thread(target=self._run, args=(key, array, np.array(ijk_to_ras)),
                                      name=f"SlicerBridge digest {name}", daemon=True)
            self._running[key] = thread
        thread.start()

    def _run(self, key, array, ijk_to_ras):
        try:
            digest = self._digest_fn(array, ijk_to_ras)
        except Exception:  # noqa: BLE001 - reported as None: the caller pushes instead of comparing
            digest = None
        with self._lock:
            self._running.pop(key, None)
            self._done.append((key[0], key[1], digest))

    def running(self, name, image_mtime):
        with self._lock:
            return (name, image_mtime) in self._running

    def collect(self):
        """[(name, mtime, digest)] finished since the last call; digest None = the hash failed."""
        with self._lock:
            done, self._done = self._done, []
        return done

    def wait(self, timeout_s=None):
        """Joins the running jobs (tests and measurements only; the GUI never waits)."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout_s)
