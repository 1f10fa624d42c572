"""Merging a server result mask into the selected segment's mask (numpy arrays in the same geometry)."""

import numpy as np

REPLACE = "replace"
ADD = "add"
SUBTRACT = "subtract"
MERGE_MODES = (REPLACE, ADD, SUBTRACT)


def merge_masks(existing, result, mode, editable=None):
    """Returns the new segment mask (uint8 0/1).

    replace: the segment becomes the result; add: union; subtract: existing minus result.
    `editable` (optional boolean mask, e.g. the Segment Editor's masking region) limits where the
    segment may change; outside it the existing mask is kept.
    """
    if mode not in MERGE_MODES:
        raise ValueError(f"unknown merge mode {mode!r}; use one of {', '.join(MERGE_MODES)}")
    old = np.asarray(existing)
    new = np.asarray(result)
    if old.shape != new.shape:
        raise ValueError(f"result shape {new.shape} differs from segment shape {old.shape}; "
                         "the result must have the source volume's geometry")
    old_b = old != 0
    new_b = new != 0
    if mode == REPLACE:
        merged = new_b
    elif mode == ADD:
        merged = old_b | new_b
    else:
        merged = old_b & ~new_b
    if editable is not None:
        allowed = np.asarray(editable) != 0
        if allowed.shape != old.shape:
            raise ValueError(f"editable mask shape {allowed.shape} differs from segment shape {old.shape}")
        merged = np.where(allowed, merged, old_b)
    return merged.astype(np.uint8)



def merge_into(out, baseline, result, mode):
    """Writes the add/subtract merge of `result` with `baseline` (both: nonzero = inside, e.g. a segment
    exported with its label value) into `out` (uint8, same shape, becomes 0/1) without temporaries, so
    one buffer serves every result of a session on a big volume. Returns `out`."""
    if mode not in (ADD, SUBTRACT):
        raise ValueError(f"merge_into handles add and subtract, not {mode!r} (replace needs no merge)")
    if not (out.shape == np.shape(baseline) == np.shape(result)):
        raise ValueError(f"result shape {np.shape(result)} differs from segment shape {np.shape(baseline)}; "
                         "the result must have the source volume's geometry")
    flags = out.view(np.bool_)
    if mode == ADD:
        np.not_equal(result, 0, out=flags)
        np.logical_or(flags, baseline, out=flags)
    else:
        np.equal(result, 0, out=flags)
        np.logical_and(flags, baseline, out=flags)
    return out
