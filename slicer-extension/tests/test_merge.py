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

    def test_merge_into_a_reused_buffer_agrees_with_merge_masks(self):
        rng = np.random.default_rng(1)
        baseline = rng.integers(0, 3, (4, 5, 6)).astype(np.uint8)  # label values, not only 0/1
        out = np.full((4, 5, 6), 9, np.uint8)  # stale content from an earlier result
        for _ in range(2):
            result = rng.integers(0, 2, (4, 5, 6)).astype(np.uint8) * 255
            for mode in (merge.ADD, merge.SUBTRACT):
                got = merge.merge_into(out, baseline, result, mode)
                self.assertIs(got, out)
                np.testing.assert_array_equal(got, merge.merge_masks(baseline, result, mode))

    def test_merge_into_refuses_replace_and_other_shapes(self):
        out = np.zeros((2, 2), np.uint8)
        with self.assertRaisesRegex(ValueError, "replace needs no merge"):
            merge.merge_into(out, out, out, merge.REPLACE)
        with self.assertRaisesRegex(ValueError, "geometry"):
            merge.merge_into(out, out, np.zeros((2, 3)), merge.ADD)

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
