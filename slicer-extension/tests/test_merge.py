import unittest

import numpy as np

from SlicerBridgeLib import merge


class MergeTests(unittest.TestCase):
    def setUp(self):
        self.old = np.array([[0, 1, 1, 0]], dtype=np.uint8)
        self.new = np.array([[0, 0, 1, 1]], dtype=np.uint8)

    def test_modes(self):
        self.assertEqual(merge.merge_masks(self.old, self.new, merge.REPLACE).tolist(), [[0, 0, 1, 1]])
        self.assertEqual(merge.merge_masks(self.old, self.new, merge.ADD).tolist(), [[0, 1, 1, 1]])
        self.assertEqual(merge.merge_masks(self.old, self.new, merge.SUBTRACT).tolist(), [[0, 1, 0, 0]])

    def test_nonzero_labels_count_as_inside_and_result_is_uint8(self):
        out = merge.merge_masks(np.array([0, 7]), np.array([255, 0]), merge.ADD)
        self.assertEqual(out.dtype, np.uint8)
        self.assertEqual(out.tolist(), [1, 1])

    def test_editable_region_limits_changes(self):
        editable = np.array([[1, 1, 0, 0]])
        self.assertEqual(merge.merge_masks(self.old, self.new, merge.REPLACE, editable).tolist(), [[0, 0, 1, 0]])

    def test_3d_volume(self):
        rng = np.random.default_rng(1)
        old = rng.integers(0, 2, (4, 5, 6))
        new = rng.integers(0, 2, (4, 5, 6))
        np.testing.assert_array_equal(merge.merge_masks(old, new, merge.SUBTRACT), (old == 1) & (new == 0))

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "unknown merge mode"):
            merge.merge_masks(self.old, self.new, "xor")
        with self.assertRaisesRegex(ValueError, "differs"):
            merge.merge_masks(self.old, self.new[:, :3], merge.ADD)
        with self.assertRaisesRegex(ValueError, "editable"):
            merge.merge_masks(self.old, self.new, merge.ADD, np.ones(3))


if __name__ == "__main__":
    unittest.main()
