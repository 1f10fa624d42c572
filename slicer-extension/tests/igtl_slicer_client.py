"""A small OpenIGTLink client that behaves like 3D Slicer's OpenIGTLinkIF connector in client mode.

Pure Python + numpy. What it copies from Slicer (shared/docs/openigtlink.md §1.4, §2.6, §3.2, §4.7):
* on connect, an empty-name STATUS, header V=2, metadata dummy=dummy;
* data messages (IMAGE, POINT) as header V=2 with metadata MRMLNodeName=<tag> and Status=OK, timestamp 0;
* POINT elements with group "Selected"/"Unselected", alpha 255 (visible) or 0 (hidden);
* COMMAND with device name "command" and incrementing ids, V=2, metadata Status;
* IMAGE: little-endian pixels, O=1 (RAS), full volume, P = centre of the volume.
Every received body's CRC is verified (crc64.crc64 is vectorised for large bodies).
"""

import json
import socket
import struct
import time
from dataclasses import dataclass, field

import numpy as np

from . import crc64 as crc

HEADER = struct.Struct(">H12s20sQQQ")
EXT_HEADER = struct.Struct(">HHII")
IMAGE_HEADER = struct.Struct(">HBBBB3H12f3H3H")
POINT_ELEMENT = struct.Struct(">64s32s4B3ff20s")
COMMAND_HEADER = struct.Struct(">I128sHI")
STATUS_HEADER = struct.Struct(">Hq20s")
MAX_BODY_BYTES = 1 << 31

SCALAR_TYPES = {np.dtype(np.int8): 2, np.dtype(np.uint8): 3, np.dtype(np.int16): 4, np.dtype(np.uint16): 5,
                np.dtype(np.int32): 6, np.dtype(np.uint32): 7, np.dtype(np.float32): 10,
                np.dtype(np.float64): 11}
DTYPES = {code: dtype for dtype, code in SCALAR_TYPES.items()}


class ProtocolError(Exception):
    """The peer sent something that is not valid OpenIGTLink."""


@dataclass
class Message:
    type: str
    device: str
    header_version: int
    content: bytes
    metadata: dict = field(default_factory=dict)
    timestamp: int = 0
    message_id: int = 0


def _name(raw):
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace")


def pack_message(msg_type, device, content, metadata=None, header_version=2, timestamp=0):
    """Header + body; V=2 adds the extended header and the metadata (keys sorted like std::map).
    `timestamp` is the raw uint64 (seconds << 32 | fraction); Slicer sends 0."""
    if len(msg_type.encode("ascii")) > 12:
        raise ValueError(f"message type {msg_type!r} is longer than 12 bytes")
    device_bytes = device.encode("ascii")[:20]
    if header_version == 1:
        if metadata:
            raise ValueError("header version 1 cannot carry metadata")
        body = bytes(content)
    elif header_version == 2:
        items = sorted((metadata or {}).items())
        keys = [k.encode("utf-8") for k, _ in items]
        values = [v.encode("utf-8") for _, v in items]
        meta_header = struct.pack(">H", len(items)) + b"".join(
            struct.pack(">HHI", len(k), 3, len(v)) for k, v in zip(keys, values))
        meta_body = b"".join(k + v for k, v in zip(keys, values))
        ext = EXT_HEADER.pack(EXT_HEADER.size, len(meta_header), len(meta_body), 0)
        body = b"".join((ext, bytes(content), meta_header, meta_body))
    else:
        raise ValueError(f"unsupported header version {header_version}")
    header = HEADER.pack(header_version, msg_type.encode("ascii"), device_bytes, timestamp, len(body), crc.crc64(body))
    return header + body


def unpack_body(header_version, body):
    """(content, metadata, message id) of a body (V=1: all content)."""
    if header_version == 1 or len(body) == 0:
        return bytes(body), {}, 0
    if len(body) < EXT_HEADER.size:
        raise ProtocolError(f"V=2 body of {len(body)} bytes is shorter than the extended header")
    ext_size, meta_header_size, meta_size, message_id = EXT_HEADER.unpack_from(body, 0)
    content_end = len(body) - meta_header_size - meta_size
    if ext_size < EXT_HEADER.size or content_end < ext_size:
        raise ProtocolError(f"inconsistent extended header ({ext_size}, {meta_header_size}, {meta_size})")
    metadata = {}
    if meta_header_size >= 2:
        (count,) = struct.unpack_from(">H", body, content_end)
        if meta_header_size != 2 + 8 * count:
            raise ProtocolError(f"metadata header size {meta_header_size} does not match {count} entries")
        pos = content_end + meta_header_size
        for i in range(count):
            key_size, _encoding, value_size = struct.unpack_from(">HHI", body, content_end + 2 + 8 * i)
            key = bytes(body[pos:pos + key_size]).decode("utf-8", errors="replace")
            pos += key_size
            metadata[key] = bytes(body[pos:pos + value_size]).decode("utf-8", errors="replace")
            pos += value_size
    return bytes(body[ext_size:content_end]), metadata, message_id


# ---- content codecs --------------------------------------------------------------------------------

def pack_image_content(array_kji, ijk_to_ras):
    """IMAGE content of a scalar volume given as a (K, J, I) array and its 4x4 IJK-to-RAS matrix."""
    a = np.asarray(array_kji)
    if a.ndim != 3:
        raise ValueError(f"expected a (K, J, I) array, got shape {a.shape}")
    if a.dtype.newbyteorder("=") not in SCALAR_TYPES:
        raise ValueError(f"scalar type {a.dtype} cannot be sent as IMAGE")
    code = SCALAR_TYPES[a.dtype.newbyteorder("=")]
    k, j, i = a.shape
    m = np.asarray(ijk_to_ras, dtype=np.float64)
    half = (np.array([i, j, k], dtype=np.float64) - 1) / 2
    centre = m[:3, 3] + m[:3, :3] @ half
    cols = [float(v) for c in range(3) for v in m[:3, c]]
    header = IMAGE_HEADER.pack(1, 1, code, 2, 1, i, j, k, *cols, *centre.tolist(), 0, 0, 0, i, j, k)
    return header + np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()


@dataclass
class Image:
    array_kji: np.ndarray
    ijk_to_ras: np.ndarray
    coordinate: int


def unpack_image_content(content):
    if len(content) < IMAGE_HEADER.size:
        raise ProtocolError(f"IMAGE content of {len(content)} bytes is shorter than its 72-byte header")
    f = IMAGE_HEADER.unpack_from(content, 0)
    version, components, scalar, endian, coordinate = f[0:5]
    size = f[5:8]
    cols = np.array(f[8:17], dtype=np.float64).reshape(3, 3).T
    centre = np.array(f[17:20], dtype=np.float64)
    start, sub = f[20:23], f[23:26]
    if version != 1 or components != 1 or scalar not in DTYPES or endian not in (1, 2):
        raise ProtocolError(f"unsupported IMAGE (version {version}, {components} components, type {scalar})")
    if start != (0, 0, 0) or tuple(sub) != tuple(size):
        raise ProtocolError("sub-volume IMAGE messages are not supported by this client")
    dtype = DTYPES[scalar].newbyteorder(">" if endian == 1 else "<")
    count = size[0] * size[1] * size[2]
    if len(content) - IMAGE_HEADER.size != count * dtype.itemsize:
        raise ProtocolError(f"IMAGE pixel data is {len(content) - IMAGE_HEADER.size} bytes, expected "
                            f"{count * dtype.itemsize}")
    pixels = np.frombuffer(content, dtype=dtype, offset=IMAGE_HEADER.size).reshape(size[2], size[1], size[0])
    m = np.eye(4)
    m[:3, :3] = cols
    m[:3, 3] = centre - cols @ ((np.array(size, dtype=np.float64) - 1) / 2)
    return Image(pixels.astype(dtype.newbyteorder("=")), m, coordinate)


def pack_point_content(points):
    """points: iterable of (name, ras, selected, visible) like Slicer's markups control points."""
    parts = []
    for name, ras, selected, visible in points:
        colour = (255, 0, 0) if selected else (230, 230, 77)
        parts.append(POINT_ELEMENT.pack(name.encode("utf-8")[:63], b"Selected" if selected else b"Unselected",
                                        *colour, 255 if visible else 0, *[float(v) for v in ras], 0.0, b""))
    return b"".join(parts)


def pack_command_content(command_id, name, text):
    data = text.encode("utf-8")
    if len(data) > 65535:
        raise ValueError("COMMAND content longer than 65535 bytes")
    return COMMAND_HEADER.pack(command_id, name.encode("ascii"), 106, len(data)) + data


def unpack_command_content(content):
    if len(content) < COMMAND_HEADER.size:
        raise ProtocolError("COMMAND content shorter than its 138-byte header")
    command_id, name, _encoding, length = COMMAND_HEADER.unpack_from(content, 0)
    if COMMAND_HEADER.size + length > len(content):
        raise ProtocolError("COMMAND length field exceeds the content")
    text = content[COMMAND_HEADER.size:COMMAND_HEADER.size + length].decode("utf-8", errors="replace")
    return command_id, _name(name), text


def pack_status_content(code, sub_code, error_name, message):
    return STATUS_HEADER.pack(code, sub_code, error_name.encode("ascii")[:20]) + message.encode("utf-8") + b"\0"


def unpack_status_content(content):
    if len(content) < STATUS_HEADER.size:
        raise ProtocolError("STATUS content shorter than its 30-byte header")
    code, sub_code, name = STATUS_HEADER.unpack_from(content, 0)
    message = content[STATUS_HEADER.size:].split(b"\0", 1)[0].decode("utf-8", errors="replace")
    return code, sub_code, _name(name), message


# ---- the client ------------------------------------------------------------------------------------

class SlicerLikeClient:
    def __init__(self, host, port, timeout_s=10.0):
        self._sock = socket.create_connection((host, port), timeout=timeout_s)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._next_command_id = 1
        self.timeout_s = timeout_s
        self.send_raw(pack_message("STATUS", "", pack_status_content(1, 0, "", ""), {"dummy": "dummy"}))

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self._sock.sendall(data)

    def send_image(self, name, array_kji, ijk_to_ras):
        self.send_raw(pack_message("IMAGE", name, pack_image_content(array_kji, ijk_to_ras),
                                   {"MRMLNodeName": "Volume", "Status": "OK"}))

    def send_points(self, name, points):
        self.send_raw(pack_message("POINT", name, pack_point_content(points),
                                   {"MRMLNodeName": "MarkupsFiducial", "Status": "OK"}))

    def send_command(self, name, payload):
        """Sends a COMMAND; returns its id. `payload` is a dict (JSON-encoded) or raw text."""
        command_id = self._next_command_id
        self._next_command_id += 1
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self.send_raw(pack_message("COMMAND", "command", pack_command_content(command_id, name, text),
                                   {"Status": "SUCCESS"}))
        return command_id

    def send_request(self, request):
        """Sends a SlicerBridgeLib CommandRequest (id, name, JSON content) as Slicer's connector does."""
        self.send_raw(pack_message("COMMAND", "command",
                                   pack_command_content(request.command_id, request.name, request.content),
                                   {"Status": "SUCCESS"}))
        return request.command_id

    def _recv_exact(self, size, deadline):
        buffer = bytearray(size)
        view = memoryview(buffer)
        got = 0
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after receiving {got} of {size} bytes")
            self._sock.settimeout(remaining)
            n = self._sock.recv_into(view[got:], size - got)
            if n == 0:
                raise ConnectionError("server closed the connection")
            got += n
        return buffer

    def receive(self, timeout_s=None):
        """The next message (CRC verified); TimeoutError when none arrives in time."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        version, msg_type, device, timestamp, body_size, expected_crc = HEADER.unpack(
            bytes(self._recv_exact(HEADER.size, deadline)))
        if version not in (1, 2):
            raise ProtocolError(f"unknown header version {version}")
        if body_size > MAX_BODY_BYTES:
            raise ProtocolError(f"body size {body_size} exceeds the client's limit")
        # a big volume may take longer than the remaining wait; give the body its own allowance
        body = self._recv_exact(body_size, max(deadline, time.monotonic() + self.timeout_s))
        actual = crc.crc64(body)
        if actual != expected_crc:
            raise ProtocolError(f"CRC mismatch on {_name(msg_type)} {_name(device)!r}: "
                                f"header {expected_crc:#x}, body {actual:#x}")
        content, metadata, message_id = unpack_body(version, body)
        return Message(_name(msg_type), _name(device), version, content, metadata, timestamp, message_id)

    def wait_for(self, predicate, timeout_s=None, seen=None):
        """Receives until predicate(message) is true; other messages are appended to `seen`."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("expected message did not arrive")
            message = self.receive(remaining)
            if predicate(message):
                return message
            if seen is not None:
                seen.append(message)

    def wait_for_reply(self, command_id, timeout_s=None, seen=None):
        """The RTS_COMMAND answering `command_id`: (message, name, JSON text)."""
        def matches(m):
            return m.type == "RTS_COMMAND" and unpack_command_content(m.content)[0] == command_id
        message = self.wait_for(matches, timeout_s, seen)
        _, name, text = unpack_command_content(message.content)
        return message, name, text
