import threading
import unittest

import numpy as np

from SlicerBridgeLib import volume_sync
from SlicerBridgeLib.volume_sync import CHECK, CURRENT, PUSH, BackgroundDigests, VolumeSyncTracker, volume_digest

EYE = volume_sync.geometry_key(np.eye(4))


class VolumeSyncTests(unittest.TestCase):
    def setUp(self):
        self.array = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
        self.tracker = VolumeSyncTracker()
        self.tracker.on_connection("c1")

    def digest(self):
        return volume_digest(self.array, np.eye(4))

    def test_first_push_then_current_while_the_image_is_untouched(self):
        self.assertEqual(self.tracker.plan("V", 10, EYE), PUSH)
        self.tracker.mark_sent("V", 10, EYE)
        self.assertEqual(self.tracker.plan("V", 10, EYE), CURRENT)

    def test_a_geometry_change_is_a_push_without_any_hashing(self):
        self.tracker.mark_sent("V", 10, EYE)
        moved = np.eye(4)
        moved[0, 3] = 1.0
        self.assertEqual(self.tracker.plan("V", 10, volume_sync.geometry_key(moved)), PUSH)

    def test_touched_voxels_need_a_digest_and_identical_ones_are_not_pushed(self):
        self.tracker.mark_sent("V", 10, EYE)
        self.tracker.digest_ready("V", 10, self.digest())  # background hash of what was sent
        self.assertEqual(self.tracker.plan("V", 11, EYE), CHECK)
        self.tracker.digest_ready("V", 11, self.digest())
        self.assertEqual(self.tracker.plan("V", 11, EYE), CURRENT)
        self.assertEqual(self.tracker.plan("V", 11, EYE), CURRENT)

    def test_edited_voxels_are_pushed(self):
        self.tracker.mark_sent("V", 10, EYE)
        self.tracker.digest_ready("V", 10, self.digest())
        self.array[0, 0, 0] = 99
        self.tracker.digest_ready("V", 11, self.digest())
        self.assertEqual(self.tracker.plan("V", 11, EYE), PUSH)

    def test_without_a_digest_of_what_was_sent_a_touched_volume_is_pushed(self):
        self.tracker.mark_sent("V", 10, EYE)  # its background hash has not finished
        self.assertEqual(self.tracker.plan("V", 11, EYE), PUSH)

    def test_a_digest_of_an_older_state_does_not_decide(self):
        self.tracker.mark_sent("V", 10, EYE)
        self.tracker.digest_ready("V", 10, self.digest())
        self.tracker.digest_ready("V", 11, self.digest())
        self.assertEqual(self.tracker.plan("V", 12, EYE), CHECK)

    def test_a_reconnect_pushes_again_and_keeps_the_digest(self):
        self.tracker.mark_sent("V", 10, EYE)
        self.tracker.digest_ready("V", 10, self.digest())
        self.tracker.on_connection("c2")
        self.assertEqual(self.tracker.plan("V", 10, EYE), PUSH)
        self.tracker.mark_sent("V", 10, EYE)
        self.tracker.digest_ready("V", 11, self.digest())
        self.assertEqual(self.tracker.plan("V", 11, EYE), CURRENT)  # the digest of the push was kept

    def test_the_same_connection_does_not_forget(self):
        self.tracker.mark_sent("V", 10, EYE)
        self.tracker.on_connection("c1")
        self.assertEqual(self.tracker.plan("V", 10, EYE), CURRENT)

    def test_digest_depends_on_dtype_and_geometry(self):
        self.assertNotEqual(volume_digest(self.array, np.eye(4)), volume_digest(self.array.astype(np.uint16), np.eye(4)))
        self.assertNotEqual(volume_digest(self.array, np.eye(4)), volume_digest(self.array, 2 * np.eye(4)))


class BackgroundDigestTests(unittest.TestCase):
    def test_hashes_in_another_thread_once_per_modification_time(self):
        release = threading.Event()
        threads = []

        def slow_digest(array, matrix):
            threads.append(threading.current_thread())
            release.wait(5)
            return volume_digest(array, matrix)

        digests = BackgroundDigests(slow_digest)
        array = np.ones((4, 4, 4), np.int16)
        digests.start("V", 7, array, np.eye(4))
        digests.start("V", 7, array, np.eye(4))  # already running: no second job
        self.assertTrue(digests.running("V", 7))
        self.assertEqual(digests.collect(), [])
        release.set()
        digests.wait(5)
        self.assertEqual(digests.collect(), [("V", 7, volume_digest(array, np.eye(4)))])
        self.assertEqual(len(threads), 1)
        self.assertIsNot(threads[0], threading.main_thread())
        self.assertEqual(digests.collect(), [])

    def test_a_failing_hash_is_reported_as_none(self):
        digests = BackgroundDigests(lambda a, m: 1 / 0)
        digests.start("V", 1, np.zeros(3), np.eye(4))
        digests.wait(5)
        self.assertEqual(digests.collect(), [("V", 1, None)])
        self.assertFalse(digests.running("V", 1))


if __name__ == "__main__":
    unittest.main()
