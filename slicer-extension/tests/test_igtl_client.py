"""The test client must itself speak correct OpenIGTLink before it can judge the server."""
import os
import socket
import struct
import threading
import unittest

import numpy as np

from . import crc64
from . import igtl_slicer_client as igtl

# openigtlink.md §1.3 worked example: STRING "hi" to "Prompt", V=2, metadata Status=OK, ts 1700000000.5
WORKED_STRING = bytes.fromhex(
    "00025354 52494e47 00000000 00005072 6f6d7074 00000000 00000000 00000000"
    "00006553 f1008000 00000000 00000000 0024f739 5536c513 9f8c000c 000a0000"
    "00080000 00000003 00026869 00010006 00030000 00025374 61747573 4f4b".replace(" ", ""))


class Crc64Tests(unittest.TestCase):
    def test_check_value(self):
        self.assertEqual(crc64.crc64(b"123456789"), 0x6C40DF5F0B497347)
        self.assertEqual(crc64.crc64(b""), 0)

    def test_vectorised_path_equals_byte_loop(self):
        for size in (4097, 65536, 100003):
            data = os.urandom(size)
            self.assertEqual(crc64.crc64(data), crc64.crc64_bytes(data), size)

    def test_leading_zeros_do_not_change_the_crc(self):
        data = os.urandom(5000)
        self.assertEqual(crc64.crc64(bytes(300) + data), crc64.crc64(data))


class FramingTests(unittest.TestCase):
    def test_worked_example_is_byte_exact(self):
        content = struct.pack(">HH", 3, 2) + b"hi"
        packed = igtl.pack_message("STRING", "Prompt", content, {"Status": "OK"}, timestamp=0x6553F10080000000)
        self.assertEqual(packed.hex(), WORKED_STRING.hex())

    def test_metadata_round_trip_and_sorted_keys(self):
        packed = igtl.pack_message("POINT", "SBPromptPos", b"abc", {"Status": "OK", "MRMLNodeName": "X"})
        version, _, _, _, size, _ = igtl.HEADER.unpack_from(packed)
        content, meta, _ = igtl.unpack_body(version, packed[58:])
        self.assertEqual((content, meta), (b"abc", {"MRMLNodeName": "X", "Status": "OK"}))
        self.assertLess(packed.index(b"MRMLNodeName"), packed.index(b"Status"))

    def test_v1_has_no_extended_header(self):
        packed = igtl.pack_message("IMAGE", "V", b"xyz", header_version=1)
        self.assertEqual(len(packed), 61)
        with self.assertRaises(ValueError):
            igtl.pack_message("IMAGE", "V", b"", {"a": "b"}, header_version=1)

    def test_inconsistent_extended_header_raises(self):
        with self.assertRaises(igtl.ProtocolError):
            igtl.unpack_body(2, struct.pack(">HHII", 12, 500, 0, 0))


class ContentTests(unittest.TestCase):
    def test_image_uses_the_centre_convention(self):
        m = np.array([[-0.7, 0, 0, 179.6], [0, -0.7, 0, 179.6], [0, 0, 2.5, -300], [0, 0, 0, 1]])
        content = igtl.pack_image_content(np.zeros((100, 512, 512), dtype=np.int16), m)
        f = igtl.IMAGE_HEADER.unpack_from(content)
        self.assertEqual(f[:8], (1, 1, 4, 2, 1, 512, 512, 100))
        np.testing.assert_allclose(f[8:17], [-0.7, 0, 0, 0, -0.7, 0, 0, 0, 2.5], rtol=1e-6)
        np.testing.assert_allclose(f[17:20], [0.75, 0.75, -176.25], rtol=1e-6)
        self.assertEqual(f[20:], (0, 0, 0, 512, 512, 100))

    def test_image_round_trip(self):
        rng = np.random.default_rng(3)
        a = rng.integers(-1000, 1000, (5, 6, 7)).astype(np.int16)
        m = np.array([[0, 1.5, 0, -3], [-0.5, 0, 0, 4], [0, 0, 2, 10], [0, 0, 0, 1]])
        image = igtl.unpack_image_content(igtl.pack_image_content(a, m))
        np.testing.assert_array_equal(image.array_kji, a)
        np.testing.assert_allclose(image.ijk_to_ras, m, atol=1e-5)
        self.assertEqual(image.coordinate, 1)

    def test_image_rejects_truncated_pixels(self):
        content = igtl.pack_image_content(np.zeros((2, 2, 2), dtype=np.uint8), np.eye(4))
        with self.assertRaisesRegex(igtl.ProtocolError, "pixel data"):
            igtl.unpack_image_content(content[:-1])

    def test_points_like_slicer(self):
        content = igtl.pack_point_content([("P-1", (1, 2, 3), True, True), ("P-2", (4, 5, 6), False, False)])
        self.assertEqual(len(content), 2 * 136)
        e = igtl.POINT_ELEMENT.unpack_from(content, 136)
        self.assertEqual(e[0].rstrip(b"\0"), b"P-2")
        self.assertEqual(e[1].rstrip(b"\0"), b"Unselected")
        self.assertEqual(e[5], 0)  # alpha 0 = hidden
        self.assertEqual(e[6:9], (4.0, 5.0, 6.0))

    def test_command_round_trip(self):
        content = igtl.pack_command_content(42, "Segment", '{"a":1}')
        self.assertEqual(len(content), 138 + 7)
        self.assertEqual(igtl.unpack_command_content(content), (42, "Segment", '{"a":1}'))

    def test_status_round_trip(self):
        content = igtl.pack_status_content(13, 0, "NotReady", "no positive point")
        self.assertEqual(igtl.unpack_status_content(content), (13, 0, "NotReady", "no positive point"))


class LoopbackTests(unittest.TestCase):
    """A throw-away socket server checks what the client sends on connect and how it reads replies."""

    def setUp(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.received = []
        self.to_send = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def tearDown(self):
        self.listener.close()
        self.thread.join(5)

    def _serve(self):
        conn, _ = self.listener.accept()
        with conn:
            data = b""
            while len(data) < 58:
                data += conn.recv(4096)
            size = struct.unpack_from(">Q", data, 42)[0]
            while len(data) < 58 + size:
                data += conn.recv(4096)
            self.received.append(data)
            for message in self.to_send:
                conn.sendall(message)

    def test_connect_sends_the_dummy_status_and_replies_are_read(self):
        mask = np.zeros((3, 4, 5), dtype=np.uint8)
        mask[1, 2, 3] = 1
        self.to_send.append(igtl.pack_message("IMAGE", "MRHead_seg", igtl.pack_image_content(mask, np.eye(4)),
                                              {"TotalMs": "1.0"}))
        with igtl.SlicerLikeClient("127.0.0.1", self.port, timeout_s=5) as client:
            message = client.receive()
        hello = self.received[0]
        version, msg_type, device, _, size, _ = igtl.HEADER.unpack_from(hello)
        self.assertEqual((version, msg_type.rstrip(b"\0"), device.rstrip(b"\0")), (2, b"STATUS", b""))
        self.assertEqual(igtl.unpack_body(2, hello[58:])[1], {"dummy": "dummy"})
        self.assertEqual((message.type, message.device, message.metadata), ("IMAGE", "MRHead_seg", {"TotalMs": "1.0"}))
        np.testing.assert_array_equal(igtl.unpack_image_content(message.content).array_kji, mask)

    def test_bad_crc_is_detected(self):
        packed = bytearray(igtl.pack_message("STATUS", "x", igtl.pack_status_content(1, 0, "", "")))
        packed[-2] ^= 0xFF
        self.to_send.append(bytes(packed))
        with igtl.SlicerLikeClient("127.0.0.1", self.port, timeout_s=5) as client:
            with self.assertRaisesRegex(igtl.ProtocolError, "CRC mismatch"):
                client.receive()


if __name__ == "__main__":
    unittest.main()
