"""Geometry in RAS millimetres: IJK<->RAS, the OpenIGTLink centre-origin convention, ROIs, transforms."""

import math
from dataclasses import dataclass

import numpy as np


def as_matrix4(matrix):
    """A float64 4x4 homogeneous matrix; raises ValueError for wrong shapes or non-finite values."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (4, 4):
        raise ValueError(f"expected a 4x4 matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError("matrix contains NaN or infinite values")
    if not np.allclose(m[3], [0.0, 0.0, 0.0, 1.0]):
        raise ValueError(f"last row of a homogeneous matrix must be [0 0 0 1], got {m[3].tolist()}")
    return m


def as_points(points):
    """An (N, 3) float64 array of finite points."""
    p = np.asarray(points, dtype=np.float64)
    if p.ndim == 1:
        p = p.reshape(1, -1)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"expected points of shape (N, 3), got {p.shape}")
    if not np.all(np.isfinite(p)):
        bad = int(np.argwhere(~np.all(np.isfinite(p), axis=1))[0][0])
        raise ValueError(f"point {bad} is not finite: {p[bad].tolist()}")
    return p


def transform_points(matrix, points):
    """Applies a 4x4 transform to (N, 3) points (e.g. a markups node's local-to-world transform)."""
    m = as_matrix4(matrix)
    p = as_points(points)
    return p @ m[:3, :3].T + m[:3, 3]


def world_to_local(local_to_world):
    """Inverse of a node's linear parent-to-world transform; raises ValueError when it is singular."""
    m = as_matrix4(local_to_world)
    if abs(np.linalg.det(m[:3, :3])) < 1e-12:
        raise ValueError("the parent transform is singular (it collapses an axis)")
    return np.linalg.inv(m)


def points_in_frame(world_to_frame, world_points):
    """World RAS points expressed in another frame, e.g. a volume's local frame under a transform.
    The server knows only the volume's local IJK-to-RAS, so prompts must be sent in that frame."""
    return transform_points(world_to_frame, world_points)


def roi_in_frame(world_to_frame, object_to_world, size):
    """A markups ROI (ObjectToWorld matrix, size) expressed in another frame; the frame change must
    keep the box a box (rotation, translation and scaling; a shear raises ValueError)."""
    return roi_from_object_to_world(as_matrix4(world_to_frame) @ as_matrix4(object_to_world), size)


def ijk_to_ras(ijk_to_ras_matrix, ijk):
    return transform_points(ijk_to_ras_matrix, ijk)


def ras_to_ijk(ijk_to_ras_matrix, ras):
    m = as_matrix4(ijk_to_ras_matrix)
    if abs(np.linalg.det(m[:3, :3])) < 1e-12:
        raise ValueError("IJK-to-RAS matrix is singular (a spacing is zero)")
    return transform_points(np.linalg.inv(m), ras)


def points_inside_volume(ijk_to_ras_matrix, dims_ijk, ras):
    """Boolean per point: inside the voxel-centre box [-0.5, dim-0.5] of a volume of dims (I, J, K)."""
    ijk = ras_to_ijk(ijk_to_ras_matrix, ras)
    dims = np.asarray(dims_ijk, dtype=np.float64)
    return np.all((ijk >= -0.5) & (ijk <= dims - 0.5), axis=1)


def image_centre(ijk_to_ras_matrix, dims_ijk):
    """OpenIGTLink IMAGE `P`: RAS of the continuous index (dims-1)/2 (openigtlink.md §2.3)."""
    m = as_matrix4(ijk_to_ras_matrix)
    half = (np.asarray(dims_ijk, dtype=np.float64) - 1.0) / 2.0
    return m[:3, 3] + m[:3, :3] @ half


def ijk_to_ras_from_centre(columns_tsn, centre, dims_ijk):
    """Inverse of image_centre: rebuilds IJK-to-RAS from the wire's t, s, n columns and centre P."""
    cols = np.asarray(columns_tsn, dtype=np.float64).reshape(3, 3)
    half = (np.asarray(dims_ijk, dtype=np.float64) - 1.0) / 2.0
    m = np.eye(4)
    m[:3, :3] = cols
    m[:3, 3] = np.asarray(centre, dtype=np.float64) - cols @ half
    return m


@dataclass(frozen=True)
class Roi:
    """An oriented box in RAS mm: centre, full edge lengths, and unit axes (rows)."""
    center: tuple
    size: tuple
    axes: tuple

    def to_json(self):
        return {"center": list(self.center), "size": list(self.size), "axes": [list(a) for a in self.axes]}


def roi_from_center_size_axes(center, size, axes=None):
    """Validates and normalises an ROI. Axes default to RAS; given axes are normalised and must be
    orthogonal (a markups ROI is a rotated box, never sheared)."""
    c = as_points(center)[0]
    s = np.asarray(size, dtype=np.float64).reshape(-1)
    if s.shape != (3,) or not np.all(np.isfinite(s)):
        raise ValueError(f"ROI size must be 3 finite numbers, got {np.asarray(size).tolist()}")
    if np.any(s <= 0):
        raise ValueError(f"ROI size must be positive in every direction, got {s.tolist()}")
    if axes is None:
        a = np.eye(3)
    else:
        a = np.asarray(axes, dtype=np.float64)
        if a.shape != (3, 3) or not np.all(np.isfinite(a)):
            raise ValueError(f"ROI axes must be a finite 3x3 array, got shape {a.shape}")
        norms = np.linalg.norm(a, axis=1)
        if np.any(norms < 1e-9):
            raise ValueError("ROI axis of zero length")
        a = a / norms[:, None]
        gram = a @ a.T
        if not np.allclose(gram, np.eye(3), atol=1e-4):
            raise ValueError("ROI axes are not orthogonal")
    return Roi(tuple(float(v) for v in c), tuple(float(v) for v in s),
               tuple(tuple(float(v) for v in row) for row in a))


def roi_from_object_to_world(object_to_world, size):
    """ROI from a markups ROI node: its ObjectToWorld matrix (columns = axes, translation = centre,
    possibly scaled by a parent transform) and its size in object coordinates."""
    m = as_matrix4(object_to_world)
    cols = m[:3, :3]
    scale = np.linalg.norm(cols, axis=0)
    if np.any(scale < 1e-12):
        raise ValueError("ROI transform collapses an axis")
    world_size = np.asarray(size, dtype=np.float64).reshape(-1) * scale
    return roi_from_center_size_axes(m[:3, 3], world_size, (cols / scale).T)


def roi_corners(roi):
    """The 8 RAS corners of an ROI (for display and tests)."""
    c = np.asarray(roi.center)
    half = np.asarray(roi.size) / 2.0
    axes = np.asarray(roi.axes)
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    return c + (signs * half) @ axes


def spacing_of(ijk_to_ras_matrix):
    m = as_matrix4(ijk_to_ras_matrix)
    return tuple(float(math.sqrt(v)) for v in np.sum(m[:3, :3] ** 2, axis=0))
