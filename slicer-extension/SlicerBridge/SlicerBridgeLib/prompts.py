"""The prompt point set as the effect sends it (docs/protocol.md, POINT semantics).

Every point travels in one markups node, so one user edit is one POINT message and one segmentation
on the server. Negative points are named with a leading '-', which the server reads as negative.
"""

import numpy as np

from .geometry import as_points
from .names import NEGATIVE_POINT_PREFIX

SEND_POINTS = "points"  # push the whole point set as one POINT
SEND_RESET = "reset"  # no positive point left but the server holds ours: Reset clears them and the result
NOTHING_TO_SEND = "nothing"  # the server already holds this point set, or no positive point and none of ours


def _points_or_empty(points):
    p = np.asarray(points, dtype=np.float64)
    return np.zeros((0, 3)) if p.size == 0 else as_points(p)


def prompt_point_elements(positive, negative):
    """[(name, ras)] of one POINT message: positives named "1", "2", ..., negatives "-1", "-2", ..."""
    elements = [(str(i + 1), tuple(float(v) for v in ras)) for i, ras in enumerate(_points_or_empty(positive))]
    elements += [(f"{NEGATIVE_POINT_PREFIX}{i + 1}", tuple(float(v) for v in ras))
                 for i, ras in enumerate(_points_or_empty(negative))]
    return elements


def point_set_key(positive, negative):
    """Identity of a point set as sent (float32 on the wire): equal keys = the same POINT message."""
    pos = _points_or_empty(positive).astype(np.float32)
    neg = _points_or_empty(negative).astype(np.float32)
    return len(pos).to_bytes(4, "little") + pos.tobytes() + neg.tobytes()


def plan_prompt_update(positive_count, server_holds_points, unchanged=False):
    """What one edit of the point set must send so that the server's state follows the user's.
    `unchanged`: the server already holds exactly this point set (e.g. a preview point moved, which
    changes no defined point)."""
    if positive_count > 0:
        return NOTHING_TO_SEND if unchanged and server_holds_points else SEND_POINTS
    return SEND_RESET if server_holds_points else NOTHING_TO_SEND
