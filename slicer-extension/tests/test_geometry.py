import unittest

import numpy as np

from SlicerBridgeLib import geometry

# Slicer's typical axial CT (openigtlink.md §2.3 worked example)
CT = np.array([[-0.7, 0, 0, 179.6], [0, -0.7, 0, 179.6], [0, 0, 2.5, -300], [0, 0, 0, 1]])


def oblique_matrix():
    angle = np.deg2rad(30)
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    m = np.eye(4)
    m[:3, :3] = rot @ np.diag([0.8, 1.2, 3.0])
    m[:3, 3] = [-10.0, 25.0, 7.5]
    return m


class IjkRasTests(unittest.TestCase):
    def test_round_trip_on_an_oblique_anisotropic_matrix(self):
        m = oblique_matrix()
        ijk = np.array([[0, 0, 0], [10, 20, 3], [1.5, -2.25, 7]])
        np.testing.assert_allclose(geometry.ras_to_ijk(m, geometry.ijk_to_ras(m, ijk)), ijk, atol=1e-9)

    def test_voxel_origin_maps_to_matrix_translation(self):
        np.testing.assert_allclose(geometry.ijk_to_ras(CT, [0, 0, 0])[0], [179.6, 179.6, -300])
        np.testing.assert_allclose(geometry.ijk_to_ras(CT, [1, 2, 4])[0], [178.9, 178.2, -290])

    def test_centre_convention_matches_the_worked_example(self):
        np.testing.assert_allclose(geometry.image_centre(CT, (512, 512, 100)), [0.75, 0.75, -176.25], atol=1e-9)

    def test_centre_round_trip(self):
        m = oblique_matrix()
        dims = (31, 20, 7)
        p = geometry.image_centre(m, dims)
        np.testing.assert_allclose(geometry.ijk_to_ras_from_centre(m[:3, :3], p, dims), m, atol=1e-9)

    def test_inside_volume(self):
        inside = geometry.points_inside_volume(CT, (512, 512, 100), [[0, 0, -200], [179.6, 179.6, -300],
                                                                     [200, 0, -200], [0, 0, 0]])
        self.assertEqual(inside.tolist(), [True, True, False, False])

    def test_bad_matrices_raise(self):
        with self.assertRaisesRegex(ValueError, "4x4"):
            geometry.as_matrix4(np.eye(3))
        bad = np.eye(4)
        bad[0, 0] = np.nan
        with self.assertRaisesRegex(ValueError, "NaN"):
            geometry.as_matrix4(bad)
        with self.assertRaisesRegex(ValueError, "singular"):
            geometry.ras_to_ijk(np.diag([1.0, 0.0, 1.0, 1.0]), [0, 0, 0])
        with self.assertRaisesRegex(ValueError, "point 1 is not finite"):
            geometry.as_points([[0, 0, 0], [np.nan, 0, 0]])


class TransformTests(unittest.TestCase):
    def test_world_transform_is_applied_to_markup_positions(self):
        parent = np.eye(4)
        parent[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]  # 90 degrees about S
        parent[:3, 3] = [5, 0, -2]
        world = geometry.transform_points(parent, [[1, 2, 3], [0, 0, 0]])
        np.testing.assert_allclose(world, [[3, 1, 1], [5, 0, -2]])


class VolumeFrameTests(unittest.TestCase):
    """A volume under a linear parent transform: the server only knows its local IJK-to-RAS."""

    def setUp(self):
        self.local_ijk_to_ras = oblique_matrix()
        parent = np.eye(4)
        parent[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]  # 90 degrees about S
        parent[:3, 3] = [40.0, -15.0, 3.0]
        self.volume_to_world = parent
        self.world_to_volume = geometry.world_to_local(parent)

    def test_a_world_click_lands_on_the_voxel_it_was_placed_on(self):
        voxel = np.array([[4.0, 7.0, 2.0]])
        world = geometry.transform_points(self.volume_to_world @ self.local_ijk_to_ras, voxel)
        local = geometry.points_in_frame(self.world_to_volume, world)
        np.testing.assert_allclose(geometry.ras_to_ijk(self.local_ijk_to_ras, local), voxel, atol=1e-9)
        self.assertFalse(np.allclose(geometry.ras_to_ijk(self.local_ijk_to_ras, world), voxel, atol=0.5))
        self.assertEqual(geometry.points_in_frame(self.world_to_volume, np.zeros((0, 3))).shape, (0, 3))

    def test_roi_is_moved_and_rotated_into_the_volume_frame(self):
        object_to_world = self.volume_to_world.copy()  # a box aligned with the transformed volume
        object_to_world[:3, 3] = geometry.transform_points(self.volume_to_world, [1.0, 2.0, 3.0])[0]
        roi = geometry.roi_in_frame(self.world_to_volume, object_to_world, [10, 20, 30])
        np.testing.assert_allclose(roi.center, [1, 2, 3], atol=1e-9)
        np.testing.assert_allclose(roi.axes, np.eye(3), atol=1e-9)
        np.testing.assert_allclose(roi.size, [10, 20, 30])

    def test_singular_or_shearing_transforms_raise(self):
        with self.assertRaisesRegex(ValueError, "singular"):
            geometry.world_to_local(np.diag([1.0, 0.0, 1.0, 1.0]))
        shear = np.eye(4)
        shear[0, 1] = 0.5
        with self.assertRaisesRegex(ValueError, "orthogonal"):
            geometry.roi_in_frame(shear, np.eye(4), [1, 1, 1])


class RoiTests(unittest.TestCase):
    def test_axis_aligned_default(self):
        roi = geometry.roi_from_center_size_axes([1, 2, 3], [10, 20, 30])
        self.assertEqual(roi.to_json(), {"center": [1.0, 2.0, 3.0], "size": [10.0, 20.0, 30.0],
                                         "axes": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]})
        corners = geometry.roi_corners(roi)
        np.testing.assert_allclose(corners.min(axis=0), [-4, -8, -12])
        np.testing.assert_allclose(corners.max(axis=0), [6, 12, 18])

    def test_axes_are_normalised(self):
        roi = geometry.roi_from_center_size_axes([0, 0, 0], [1, 1, 1], [[2, 0, 0], [0, 0, 3], [0, -1, 0]])
        np.testing.assert_allclose(roi.axes, [[1, 0, 0], [0, 0, 1], [0, -1, 0]])

    def test_from_object_to_world_with_scaled_parent(self):
        m = np.eye(4)
        m[:3, :3] = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]]) * 2.0  # rotation, then scale 2
        m[:3, 3] = [10, 20, 30]
        roi = geometry.roi_from_object_to_world(m, [4, 6, 8])
        np.testing.assert_allclose(roi.center, [10, 20, 30])
        np.testing.assert_allclose(roi.size, [8, 12, 16])
        np.testing.assert_allclose(roi.axes, [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], atol=1e-12)

    def test_invalid_rois_raise(self):
        with self.assertRaisesRegex(ValueError, "positive"):
            geometry.roi_from_center_size_axes([0, 0, 0], [1, 0, 1])
        with self.assertRaisesRegex(ValueError, "orthogonal"):
            geometry.roi_from_center_size_axes([0, 0, 0], [1, 1, 1], [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
        with self.assertRaisesRegex(ValueError, "3 finite numbers"):
            geometry.roi_from_center_size_axes([0, 0, 0], [1, 1])

    def test_spacing(self):
        np.testing.assert_allclose(geometry.spacing_of(oblique_matrix()), [0.8, 1.2, 3.0])


if __name__ == "__main__":
    unittest.main()
