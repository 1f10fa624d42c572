"""Live 2-D streams (docs/live-2d.md): which incoming IMAGE nodes are streams, what each relayed frame's
metadata says, the stream's rates from GetStatus, and the Start/Stop state of one panel (no Qt, no Slicer)."""

import math
from dataclasses import dataclass

from .names import RESULT_SUFFIX, device_name, result_device_name
from .replies import ATTRIBUTE_PREFIX

IDLE = "idle"
STARTING = "starting"
STREAMING = "streaming"
STOPPING = "stopping"

TRACKING_LOST = "Lost"
TRACKING_STATES = ("Tracking", TRACKING_LOST, "WaitingForPrompt")


@dataclass(frozen=True)
class FrameInfo:
    """Metadata of one relayed frame (IMAGE `<device[:16]>` and its `_seg`). None = absent or unreadable."""
    frame_index: int = None
    dropped_frames: int = None
    latency_ms: float = None
    score: float = None
    tracking: str = ""
    model: str = ""

    @property
    def lost(self):
        return self.tracking == TRACKING_LOST


@dataclass(frozen=True)
class StreamRates:
    """One entry of GetStatus "streams"."""
    device: str
    input_fps: float = None
    output_fps: float = None
    frames_received: int = None
    dropped_frames: int = None
    last_latency_ms: float = None
    clients: int = None


def stream_frame_device(source_device):
    """The device the server relays the frame under: the source's device name cut at 16 characters."""
    return result_device_name(source_device)[:-len(RESULT_SUFFIX)]


def stream_mask_device(source_device):
    return result_device_name(source_device)


def stream_candidates(image_node_names):
    """Names of incoming IMAGE nodes that can be chosen as a stream: device-name sized, not our own
    `_seg`/`_prior` results; order kept, duplicates dropped."""
    seen = []
    for name in image_node_names:
        if not name or name.endswith(RESULT_SUFFIX) or name.endswith("_prior") or name in seen:
            continue
        try:
            if device_name(name) != name:
                continue
        except (TypeError, ValueError):
            continue
        seen.append(name)
    return seen


def parse_frame_metadata(values):
    """Reads FrameIndex/DroppedFrames/LatencyMs/Score/Tracking/Model from wire metadata or from the
    'OpenIGTLink.'-prefixed node attributes Slicer stores them as; unreadable numbers become None."""
    plain = {}
    for key, value in (values or {}).items():
        if isinstance(key, str) and key.startswith(ATTRIBUTE_PREFIX):
            key = key[len(ATTRIBUTE_PREFIX):]
        plain[key] = value
    return FrameInfo(
        frame_index=_count(plain.get("FrameIndex")),
        dropped_frames=_count(plain.get("DroppedFrames")),
        latency_ms=_number(plain.get("LatencyMs")),
        score=_number(plain.get("Score"), allow_negative=True),
        tracking=str(plain.get("Tracking") or ""),
        model=str(plain.get("Model") or ""))


def server_stream_devices(result):
    """GetStatus result -> the devices of the streams the server relays (from its frame sources), in order."""
    streams = result.get("streams") if isinstance(result, dict) else None
    if not isinstance(streams, list):
        return []
    return stream_candidates(entry.get("device") for entry in streams
                             if isinstance(entry, dict) and isinstance(entry.get("device"), str))


def parse_stream_rates(result, source_device):
    """GetStatus result -> StreamRates of the stream of `source_device`, or None when the server lists none."""
    streams = result.get("streams") if isinstance(result, dict) else None
    if not isinstance(streams, list):
        return None
    for entry in streams:
        if isinstance(entry, dict) and entry.get("device") == source_device:
            return StreamRates(source_device, _number(entry.get("inputFps")), _number(entry.get("outputFps")),
                               _count(entry.get("framesReceived")), _count(entry.get("droppedFrames")),
                               _number(entry.get("lastLatencyMs")), _count(entry.get("clients")))
    return None


def _number(value, allow_negative=False):
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or (number < 0 and not allow_negative):
        return None
    return number


def _count(value):
    number = _number(value)
    return int(number) if number is not None and number == int(number) else None


class LiveStreamController:
    """Start/Stop of one live stream and what the panel shows about it.

    `send(request, callback)` sends a COMMAND and later calls back with a replies.CommandReply (the logic's
    sendCommand); `requests` is a requests.RequestBuilder; `on_change()` is called when a reply changed the
    state. Frames are fed in with on_frame (the `_seg` node's attributes), rates with on_status (a GetStatus
    result)."""

    def __init__(self, send, requests, on_change=None):
        self._send = send
        self._requests = requests
        self._on_change = on_change or (lambda: None)
        self.state = IDLE
        self.device = ""
        self.error = ""
        self.frame = None
        self.rates = None
        self._pending_id = None

    @property
    def frame_device(self):
        return stream_frame_device(self.device) if self.device else ""

    @property
    def mask_device(self):
        return stream_mask_device(self.device) if self.device else ""

    def start(self, device, model=None, box=None, points=None):
        """Starts the stream of `device`, or re-prompts it when it is already streaming."""
        if self.state in (STARTING, STOPPING):
            raise RuntimeError(f"wait for the previous {self.state} request to be answered")
        if self.state == STREAMING and device != self.device:
            raise RuntimeError(f"stop the stream of {self.device} before starting {device}")
        request = self._requests.start_stream(device, model, box, points)
        if self.state != STREAMING:
            self.frame = None
            self.rates = None
        self.device = device
        self.error = ""
        previous = self.state
        self.state = STARTING
        self._pending_id = request.command_id
        try:
            self._send(request, lambda reply: self._on_start_reply(request.command_id, previous, reply))
        except Exception as e:
            self.state = previous if previous == STREAMING else IDLE
            self._pending_id = None
            self.error = str(e)
            raise
        return request

    def stop(self):
        if self.state == IDLE:
            return None
        request = self._requests.stop_stream(self.device)
        self.state = STOPPING
        self._pending_id = request.command_id
        try:
            self._send(request, lambda reply: self._on_stop_reply(request.command_id, reply))
        except Exception as e:
            # Not connected: there is no stream on a server we cannot reach.
            self._finish_stop(str(e))
            return None
        return request

    def connection_lost(self):
        """The server went away: its streams end with the connection (docs/live-2d.md, client leaving)."""
        if self.state != IDLE:
            self._finish_stop("connection lost; press Start again when the server is back")

    def _on_start_reply(self, command_id, previous, reply):
        if command_id != self._pending_id:
            return
        self._pending_id = None
        if reply.success:
            self.state = STREAMING
            self.error = ""
        else:
            self.state = STREAMING if previous == STREAMING else IDLE
            self.error = reply.error_message
        self._on_change()

    def _on_stop_reply(self, command_id, reply):
        if command_id != self._pending_id:
            return
        self._finish_stop("" if reply.success else reply.error_message)
        self._on_change()

    def _finish_stop(self, error):
        self._pending_id = None
        self.state = IDLE
        self.error = error

    def on_frame(self, metadata):
        """A frame's metadata arrived (the `_seg` node was updated). Ignored unless streaming."""
        if self.state not in (STREAMING, STARTING):
            return None
        self.frame = parse_frame_metadata(metadata)
        return self.frame

    def on_status(self, result):
        if self.device:
            self.rates = parse_stream_rates(result, self.device)
        return self.rates

    def summary(self):
        """One line for the panel: state, tracking, rates, latency, score, drops."""
        if self.state == IDLE:
            return f"Stopped ({self.error})" if self.error else "Stopped"
        if self.state == STARTING:
            return f"Starting {self.device}…"
        if self.state == STOPPING:
            return f"Stopping {self.device}…"
        parts = [f"Streaming {self.device}"]
        frame = self.frame
        if frame is None:
            parts.append("waiting for the first frame")
        else:
            if frame.tracking:
                parts.append("tracking LOST: draw a new box or click" if frame.lost else f"tracking: {frame.tracking}")
            if frame.frame_index is not None:
                parts.append(f"frame {frame.frame_index}")
            if frame.latency_ms is not None:
                parts.append(f"latency {frame.latency_ms:.0f} ms")
            if frame.score is not None:
                parts.append(f"score {frame.score:.2f}")
        rates = self.rates
        if rates is not None:
            if rates.input_fps is not None and rates.output_fps is not None:
                parts.append(f"{rates.input_fps:.1f} fps in, {rates.output_fps:.1f} fps out")
            if rates.dropped_frames is not None:
                parts.append(f"{rates.dropped_frames} dropped")
        elif frame is not None and frame.dropped_frames is not None:
            parts.append(f"{frame.dropped_frames} dropped")
        if self.error:
            parts.append(self.error)
        return ", ".join(parts)
