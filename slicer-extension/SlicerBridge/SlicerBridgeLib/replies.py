"""Parsing of what the server sends back: RTS_COMMAND replies, result labelmap metadata, STATUS codes."""

import json
import math
from dataclasses import dataclass, field

ATTRIBUTE_PREFIX = "OpenIGTLink."  # Slicer stores incoming metadata as node attributes with this prefix
TIMING_KEYS = ("QueueMs", "PrepareMs", "InferMs", "PostMs", "TotalMs")

STATUS_NAMES = {
    1: "OK", 2: "unknown error", 3: "panic", 4: "not found", 5: "access denied", 6: "busy", 7: "timeout",
    8: "overflow", 9: "checksum error", 10: "bad input", 11: "no resource", 12: "unknown instruction",
    13: "not ready", 14: "manual mode", 15: "disabled", 16: "not present", 17: "unknown version",
    18: "hardware failure", 19: "server shutting down",
}


class ReplyError(ValueError):
    """A reply from the server could not be understood."""


@dataclass(frozen=True)
class CommandReply:
    command_id: int
    name: str
    success: bool
    error_message: str
    result: dict = field(default_factory=dict)


def parse_command_reply(command_id, name, metadata, content):
    """Reads an RTS_COMMAND: metadata Status=SUCCESS|FAIL (+ ErrorMessage), JSON content."""
    status = (metadata or {}).get("Status")
    if status not in ("SUCCESS", "FAIL"):
        raise ReplyError(f"reply to {name} #{command_id} has no valid Status metadata (got {status!r})")
    if isinstance(content, (bytes, bytearray)):
        content = bytes(content).decode("utf-8", errors="replace")
    result = {}
    if content and content.strip():
        try:
            result = json.loads(content)
        except json.JSONDecodeError as e:
            raise ReplyError(f"reply to {name} #{command_id} is not JSON: {e.msg} at {e.pos}") from None
        if not isinstance(result, dict):
            raise ReplyError(f"reply to {name} #{command_id} is JSON but not an object")
    success = status == "SUCCESS"
    message = ""
    if not success:
        message = (metadata.get("ErrorMessage") or result.get("error") or "").strip() or \
            f"{name} failed without an error message"
    return CommandReply(command_id, name, success, message, result)


@dataclass(frozen=True)
class ResultInfo:
    request_id: str
    model: str
    timings_ms: dict  # only the keys present and parseable

    def summary(self):
        parts = []
        if self.model:
            parts.append(self.model)
        for key in TIMING_KEYS:
            if key in self.timings_ms:
                parts.append(f"{key[:-2].lower()} {self.timings_ms[key]:.1f} ms")
        return ", ".join(parts) if parts else "no timing information"


def parse_result_metadata(values):
    """Reads RequestId/Model/*Ms from a labelmap's metadata, either raw keys (wire) or
    'OpenIGTLink.'-prefixed node attributes (Slicer). Unparseable numbers are left out, not guessed."""
    plain = {}
    for key, value in (values or {}).items():
        if key.startswith(ATTRIBUTE_PREFIX):
            key = key[len(ATTRIBUTE_PREFIX):]
        plain[key] = value
    timings = {}
    for key in TIMING_KEYS:
        text = plain.get(key)
        if text is None:
            continue
        try:
            number = float(text)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number) and number >= 0:
            timings[key] = number
    return ResultInfo(str(plain.get("RequestId", "")), str(plain.get("Model", "")), timings)


def describe_status(code, error_name, message):
    """A one-line human text for a STATUS message from the server."""
    label = STATUS_NAMES.get(code, f"status {code}")
    text = message.strip() if message else ""
    name = error_name.strip() if error_name else ""
    detail = text or name
    return f"Server: {label}" + (f" ({detail})" if detail else "")


def parse_features(result):
    """GetStatus result -> frozenset of optional protocol features the server implements (e.g. "prior",
    docs/protocol.md); a server that lists none implements none."""
    features = result.get("features") if isinstance(result, dict) else None
    if not isinstance(features, list):
        return frozenset()
    return frozenset(f for f in features if isinstance(f, str))


def parse_models(result):
    """ListModels result -> (default name, [model names])."""
    models = result.get("models")
    if not isinstance(models, list):
        raise ReplyError("ListModels reply has no 'models' list")
    names = []
    for entry in models:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ReplyError(f"ListModels entry without a name: {entry!r}")
        names.append(entry["name"])
    default = result.get("default", "")
    return (default if isinstance(default, str) else ""), names


def summarise_status(result):
    """GetStatus result -> short text for the module panel."""
    parts = []
    if "version" in result:
        parts.append(f"version {result['version']}")
    if "device" in result:
        parts.append(f"device {result['device']}")
    queue = result.get("queue")
    if isinstance(queue, dict) and "pending" in queue:
        parts.append(f"{queue['pending']} queued")
    if "sessions" in result:
        parts.append(f"{result['sessions']} session(s)")
    cache = result.get("cache")
    if isinstance(cache, dict) and "usedBytes" in cache and "budgetBytes" in cache:
        try:
            parts.append(f"cache {int(cache['usedBytes']) / 2**20:.0f}/{int(cache['budgetBytes']) / 2**20:.0f} MiB")
        except (TypeError, ValueError):
            pass
    return ", ".join(parts) if parts else "connected"
