"""COMMAND requests of the SlicerBridge wire contract (docs/protocol.md), as (id, name, JSON text)."""

import itertools
import json
import math
from dataclasses import dataclass

from .geometry import Roi, as_points

MAX_COMMAND_CONTENT_BYTES = 65535  # CommandMessage::SetCommandContent rejects longer content
COMMAND_NAME_MAX_BYTES = 128

SEGMENT = "Segment"
SET_ROI = "SetRoi"
SET_MODEL = "SetModel"
SET_TARGET = "SetTarget"
UNDO = "Undo"
RESET = "Reset"
LIST_MODELS = "ListModels"
GET_STATUS = "GetStatus"
START_STREAM = "StartStream"
STOP_STREAM = "StopStream"
COMMAND_NAMES = (SEGMENT, SET_ROI, SET_MODEL, SET_TARGET, UNDO, RESET, LIST_MODELS, GET_STATUS, START_STREAM,
                 STOP_STREAM)

POSITIVE_LABEL = 1
NEGATIVE_LABEL = 0


@dataclass(frozen=True)
class CommandRequest:
    command_id: int
    name: str
    content: str

    @property
    def payload(self):
        return json.loads(self.content)


class RequestBuilder:
    """Builds COMMAND requests with incrementing ids (as Slicer's connector numbers its commands)."""

    def __init__(self, first_id=1):
        if not isinstance(first_id, int) or not 0 <= first_id <= 0xFFFFFFFF:
            raise ValueError(f"first command id must be a uint32, got {first_id!r}")
        self._ids = itertools.count(first_id)

    def _make(self, name, payload):
        text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
        size = len(text.encode("utf-8"))
        if size > MAX_COMMAND_CONTENT_BYTES:
            raise ValueError(f"{name} request is {size} bytes; OpenIGTLink COMMAND content is limited to "
                             f"{MAX_COMMAND_CONTENT_BYTES} bytes (send fewer points)")
        return CommandRequest(next(self._ids) & 0xFFFFFFFF, name, text)

    def segment(self, volume=None, points=None, roi=None, model=None, output=None, request_id=None):
        payload = {}
        if volume:
            payload["volume"] = volume
        if model:
            payload["model"] = model
        if points is not None:
            payload["points"] = prompt_points_json(points)
        if roi is not None:
            payload["roi"] = _roi_json(roi)
        if output:
            payload["output"] = output
        if request_id:
            payload["requestId"] = request_id
        return self._make(SEGMENT, payload)

    def set_roi(self, roi, volume=None):
        payload = _roi_json(roi)
        if volume:
            payload["volume"] = volume
        return self._make(SET_ROI, payload)

    def clear_roi(self, volume=None):
        payload = {"clear": True}
        if volume:
            payload["volume"] = volume
        return self._make(SET_ROI, payload)

    def set_model(self, model):
        if not model:
            raise ValueError("SetModel needs a model name")
        return self._make(SET_MODEL, {"model": model})

    def set_target(self, volume):
        if not volume:
            raise ValueError("SetTarget needs a volume name")
        return self._make(SET_TARGET, {"volume": volume})

    def undo(self, volume=None):
        return self._make(UNDO, {"volume": volume} if volume else {})

    def reset(self, volume=None):
        return self._make(RESET, {"volume": volume} if volume else {})

    def list_models(self):
        return self._make(LIST_MODELS, {})

    def get_status(self):
        return self._make(GET_STATUS, {})

    def start_stream(self, device, model=None, box=None, points=None):
        """StartStream (docs/live-2d.md): follow the source's IMAGE `device`; box = two RAS corners
        ((r1,a1,s1), (r2,a2,s2)), points = [(ras, positive), ...]; both optional (the stream then waits
        for a prompt). Sent again while streaming it re-prompts."""
        if not device:
            raise ValueError("StartStream needs the source's image device name")
        payload = {"Device": device}
        if model:
            payload["Model"] = model
        if box is not None:
            payload["Box"] = stream_box_json(box)
        if points:
            payload["Points"] = [entry["ras"] + [entry["label"]] for entry in prompt_points_json(points)]
        return self._make(START_STREAM, payload)

    def stop_stream(self, device=None):
        return self._make(STOP_STREAM, {"Device": device} if device else {})


def prompt_points_json(points):
    """[(ras, positive: bool), ...] -> [{"ras": [r,a,s], "label": 1|0}, ...]; rejects NaN."""
    result = []
    for index, (ras, positive) in enumerate(points):
        p = as_points(ras)[0] if _finite3(ras) else None
        if p is None:
            raise ValueError(f"prompt point {index} is not three finite numbers: {ras!r}")
        result.append({"ras": [float(v) for v in p], "label": POSITIVE_LABEL if positive else NEGATIVE_LABEL})
    return result


def stream_box_json(box):
    """((r1,a1,s1), (r2,a2,s2)) -> [R1,A1,S1,R2,A2,S2] with the smaller value first on each axis."""
    try:
        first, second = box
    except (TypeError, ValueError):
        raise ValueError(f"a stream box is two RAS corners, got {box!r}") from None
    if not (_finite3(first) and _finite3(second)):
        raise ValueError(f"a stream box corner is not three finite numbers: {box!r}")
    low = [min(float(a), float(b)) for a, b in zip(first, second)]
    high = [max(float(a), float(b)) for a, b in zip(first, second)]
    return low + high


def _finite3(values):
    try:
        return len(values) == 3 and all(math.isfinite(float(v)) for v in values)
    except (TypeError, ValueError):
        return False


def _roi_json(roi):
    if not isinstance(roi, Roi):
        raise TypeError("roi must be a geometry.Roi (use roi_from_center_size_axes)")
    return roi.to_json()
