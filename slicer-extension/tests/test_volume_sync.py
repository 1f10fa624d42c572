import unittest

import numpy as np

from SlicerBridgeLib.volume_sync import VolumeSyncTracker, volume_digest


class VolumeSyncTests(unittest.TestCase):
    def setUp(self):
        self.array = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
        self.matrix = np.eye(4)
        self.tracker = VolumeSyncTracker()
        self.tracker.on_connection("c1")
        self.digest_calls = 0

    def digest(self):
        self.digest_calls += 1
        return volume_digest(self.array, self.matrix)

    def test_first_push_then_unchanged(self):
        self.assertTrue(self.tracker.needs_push("V", 10, self.digest))
        self.tracker.mark_sent("V", 10, self.digest)
        self.assertFalse(self.tracker.needs_push("V", 10, self.digest))
        self.assertEqual(self.digest_calls, 1)  # unchanged time: no hashing

    def test_touched_but_identical_volume_is_not_pushed(self):
        self.tracker.mark_sent("V", 10, self.digest)
        self.assertFalse(self.tracker.needs_push("V", 11, self.digest))
        self.assertFalse(self.tracker.needs_push("V", 11, self.digest))
        self.assertEqual(self.digest_calls, 2)

    def test_an_edit_is_hashed_once_for_needs_push_and_mark_sent(self):
        self.tracker.mark_sent("V", 10, self.digest)
        self.array[0, 0, 0] = 99
        self.assertTrue(self.tracker.needs_push("V", 11, self.digest))
        self.tracker.mark_sent("V", 11, self.digest)
        self.assertEqual(self.digest_calls, 2)  # one for the first push, one for the edit
        self.assertFalse(self.tracker.needs_push("V", 11, self.digest))
        self.assertEqual(self.digest_calls, 2)

    def test_a_reconnect_push_reuses_the_digest_of_the_unchanged_volume(self):
        self.tracker.mark_sent("V", 10, self.digest)
        self.tracker.on_connection("c2")
        self.assertTrue(self.tracker.needs_push("V", 10, self.digest))
        self.tracker.mark_sent("V", 10, self.digest)
        self.assertEqual(self.digest_calls, 1)

    def test_edited_voxels_or_geometry_need_a_push(self):
        self.tracker.mark_sent("V", 10, self.digest)
        self.array[0, 0, 0] = 99
        self.assertTrue(self.tracker.needs_push("V", 11, self.digest))
        self.array[0, 0, 0] = 0
        self.matrix[0, 3] = 1.0
        self.assertTrue(self.tracker.needs_push("V", 12, self.digest))

    def test_digest_depends_on_dtype(self):
        self.assertNotEqual(volume_digest(self.array, self.matrix),
                            volume_digest(self.array.astype(np.uint16), self.matrix))

    def test_reconnect_forgets_everything(self):
        self.tracker.mark_sent("V", 10, self.digest)
        self.tracker.on_connection("c1")
        self.assertFalse(self.tracker.needs_push("V", 10, self.digest))
        self.tracker.on_connection("c2")
        self.assertTrue(self.tracker.needs_push("V", 10, self.digest))


if __name__ == "__main__":
    unittest.main()
