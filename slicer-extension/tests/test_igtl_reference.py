"""Checks the test client's IMAGE/POINT encoding and its CRC against the OpenIGTLink C++ library.

The Debian library (libopenigtlink-dev 1.11) speaks header version 1 only, so messages are exchanged
as V=1 here; the V=2 framing is checked byte-exactly against the worked example in test_igtl_client.
Skipped when g++ or the library headers are missing.
"""
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

import numpy as np

from . import crc64
from . import igtl_slicer_client as igtl

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference", "igtl_v1_reference.cxx")
INCLUDE = "/usr/include/openigtlink"


def _floats(text):
    return [float(v) for v in text.split(",")]


@unittest.skipUnless(shutil.which("g++") and os.path.isfile(os.path.join(INCLUDE, "igtlImageMessage.h")),
                     "g++ or the OpenIGTLink headers (libopenigtlink-dev) are not installed")
class ReferenceLibraryTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.TemporaryDirectory()
        cls.exe = os.path.join(cls.workdir.name, "igtl_v1_reference")
        build = subprocess.run(["g++", "-O1", "-I" + INCLUDE, "-o", cls.exe, SOURCE, "-lOpenIGTLink"],
                               capture_output=True, text=True, timeout=300)
        if build.returncode != 0:
            raise AssertionError("reference peer did not build:\n" + build.stderr[-3000:])

    @classmethod
    def tearDownClass(cls):
        cls.workdir.cleanup()

    def run_reference(self, mode, data=b""):
        done = subprocess.run([self.exe, mode], input=data, capture_output=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr.decode(errors="replace"))
        return done.stdout

    def test_library_decodes_our_image_with_the_centre_origin(self):
        rng = np.random.default_rng(7)
        array = rng.integers(-500, 500, (3, 4, 5)).astype(np.int16)
        m = np.eye(4)
        m[:3, :3] = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]]) @ np.diag([0.5, 1.25, 3.0])
        m[:3, 3] = [4.0, -6.0, 8.0]
        message = igtl.pack_message("IMAGE", "PyImage", igtl.pack_image_content(array, m), header_version=1)
        line = self.run_reference("read", message).decode().strip()
        fields = dict(item.split("=", 1) for item in line.split()[2:])
        self.assertTrue(line.startswith("IMAGE PyImage "), line)
        self.assertEqual(fields["crc_ok"], "1")
        self.assertEqual((fields["type"], fields["endian"], fields["coord"]), ("4", "2", "1"))
        self.assertEqual(fields["size"], "5,4,3")
        np.testing.assert_allclose(_floats(fields["spacing"]), [0.5, 1.25, 3.0], rtol=1e-6)
        np.testing.assert_allclose(_floats(fields["ni"]), [0, 1, 0], atol=1e-6)
        np.testing.assert_allclose(_floats(fields["nj"]), [-1, 0, 0], atol=1e-6)
        centre = m[:3, 3] + m[:3, :3] @ np.array([2.0, 1.5, 1.0])
        np.testing.assert_allclose(_floats(fields["origin"]), centre, rtol=1e-6)
        self.assertEqual(int(fields["bytesum"]), int(np.frombuffer(array.astype("<i2").tobytes(), np.uint8).sum()))

    def test_library_decodes_our_points(self):
        content = igtl.pack_point_content([("P-1", (1.5, -2.0, 3.25), True, True),
                                           ("N-1", (0.0, 10.0, -7.5), False, False)])
        message = igtl.pack_message("POINT", "SBPromptNeg-", content, header_version=1)
        line = self.run_reference("read", message).decode().strip()
        self.assertEqual(line, "POINT SBPromptNeg- crc_ok=1 n=2 [P-1|Selected|255,0,0,255|1.5,-2,3.25] "
                               "[N-1|Unselected|230,230,77,0|0,10,-7.5]")

    def test_library_sees_a_corrupted_crc(self):
        message = bytearray(igtl.pack_message("POINT", "X", igtl.pack_point_content([("a", (1, 2, 3), True, True)]),
                                              header_version=1))
        message[-1] ^= 1
        self.assertIn("crc_ok=0", self.run_reference("read", bytes(message)).decode())

    def test_we_decode_the_library_image(self):
        raw = self.run_reference("image")
        version, msg_type, device, _, size, expected_crc = igtl.HEADER.unpack_from(raw)
        body = raw[58:]
        self.assertEqual((version, msg_type.rstrip(b"\0"), device.rstrip(b"\0"), size), (1, b"IMAGE", b"RefImage", len(body)))
        self.assertEqual(crc64.crc64(body), expected_crc)
        image = igtl.unpack_image_content(body)
        np.testing.assert_array_equal(image.array_kji.reshape(-1), np.arange(24) * 100 - 1000)
        cols = np.array([[0, -1.5, 0], [0.5, 0, 0], [0, 0, 2.0]])
        expected = np.eye(4)
        expected[:3, :3] = cols
        expected[:3, 3] = np.array([10.0, -20.0, 30.0]) - cols @ np.array([1.5, 1.0, 0.5])
        np.testing.assert_allclose(image.ijk_to_ras, expected, atol=1e-6)
        self.assertEqual(struct.unpack_from(">H", body, 0)[0], 1)


if __name__ == "__main__":
    unittest.main()
