"""Drives the real SlicerBridge server the way Slicer's connector would.

Needs SLICERBRIDGE_SERVER_DLL (set by scripts/test.sh to the Release build of
src/SlicerBridge.Host); skipped when unset or when the file does not exist.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import numpy as np

from . import igtl_slicer_client as igtl

SERVER_DLL = os.environ.get("SLICERBRIDGE_SERVER_DLL", "")
STARTUP_TIMEOUT_S = 60.0
RESULT_TIMEOUT_S = 120.0


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, process, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)  # polling a child process's port, not the Slicer GUI
    return False


def _test_volume():
    """A 24x20x16 int16 volume: a bright ball on a dark background, oblique anisotropic geometry."""
    k, j, i = np.mgrid[0:16, 0:20, 0:24]
    ball = (i - 12) ** 2 + (j - 10) ** 2 + ((k - 8) * 1.5) ** 2 <= 36
    array = np.where(ball, 1000, 0).astype(np.int16)
    array += np.random.default_rng(0).integers(0, 20, array.shape, dtype=np.int16)
    m = np.eye(4)
    m[:3, :3] = [[-0.9, 0.0, 0.0], [0.0, -0.9, 0.0], [0.0, 0.0, 1.4]]
    m[:3, 3] = [10.0, 8.0, -12.0]
    return array, m


@unittest.skipUnless(SERVER_DLL and os.path.isfile(SERVER_DLL),
                     "SLICERBRIDGE_SERVER_DLL is unset or does not name a built slicerbridge.dll")
class ServerIntegrationTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("dotnet") is None:
            raise unittest.SkipTest("dotnet is not on PATH")
        cls.port = _free_port()
        cls.log = tempfile.TemporaryFile()
        cls.server = subprocess.Popen(["dotnet", SERVER_DLL, "serve", "--port", str(cls.port)],
                                      stdout=cls.log, stderr=subprocess.STDOUT)
        if not _wait_for_port(cls.port, cls.server, STARTUP_TIMEOUT_S):
            cls._stop()
            cls.log.seek(0)
            raise AssertionError("server did not listen on port %d:\n%s"
                                 % (cls.port, cls.log.read().decode(errors="replace")[-3000:]))

    @classmethod
    def _stop(cls):
        if cls.server.poll() is None:
            cls.server.terminate()
            try:
                cls.server.wait(10)
            except subprocess.TimeoutExpired:
                cls.server.kill()
                cls.server.wait(10)

    @classmethod
    def tearDownClass(cls):
        cls._stop()
        cls.log.close()

    def connect(self):
        client = igtl.SlicerLikeClient("127.0.0.1", self.port, timeout_s=RESULT_TIMEOUT_S)
        self.addCleanup(client.close)
        return client

    def test_points_produce_a_labelmap_with_the_volume_geometry(self):
        client = self.connect()
        array, m = _test_volume()
        client.send_image("ITBall", array, m)
        centre = m[:3, :3] @ np.array([12.0, 10.0, 8.0]) + m[:3, 3]
        corner = m[:3, :3] @ np.array([1.0, 1.0, 1.0]) + m[:3, 3]
        client.send_points("SBPromptNeg-", [("N-1", corner, True, True)])
        client.send_points("SBPromptPos", [("P-1", centre, True, True)])
        seen = []
        message = client.wait_for(lambda msg: msg.type == "IMAGE" and msg.device == "ITBall_seg",
                                  RESULT_TIMEOUT_S, seen)
        image = igtl.unpack_image_content(message.content)
        self.assertEqual(image.array_kji.shape, array.shape)
        self.assertEqual(image.array_kji.dtype, np.uint8)
        np.testing.assert_allclose(image.ijk_to_ras, m, atol=1e-4)
        self.assertEqual(image.coordinate, 1)
        self.assertTrue(set(np.unique(image.array_kji).tolist()) <= {0, 1})
        self.assertEqual(image.array_kji[8, 10, 12], 1, "the positive click must be inside the result")
        self.assertEqual(image.array_kji[1, 1, 1], 0, "the negative click must be outside the result")
        self.assertIn("TotalMs", message.metadata)
        float(message.metadata["TotalMs"])

    def test_segment_command_is_answered_after_its_labelmap(self):
        client = self.connect()
        array, m = _test_volume()
        client.send_image("ITCmd", array, m)
        centre = m[:3, :3] @ np.array([12.0, 10.0, 8.0]) + m[:3, 3]
        command_id = client.send_command("Segment", {"volume": "ITCmd", "requestId": "it-1",
                                                     "points": [{"ras": centre.tolist(), "label": 1}]})
        seen = []
        reply, name, text = client.wait_for_reply(command_id, RESULT_TIMEOUT_S, seen)
        self.assertEqual((name, reply.metadata.get("Status")), ("Segment", "SUCCESS"), text)
        images = [s for s in seen if s.type == "IMAGE" and s.device == "ITCmd_seg"]
        self.assertTrue(images, "the labelmap must arrive before the command reply")
        self.assertEqual(images[-1].metadata.get("RequestId"), "it-1")

    def test_unknown_command_fails_with_a_message(self):
        client = self.connect()
        command_id = client.send_command("NoSuchCommand", {})
        reply, name, _ = client.wait_for_reply(command_id, 30)
        self.assertEqual(name, "NoSuchCommand")
        self.assertEqual(reply.metadata.get("Status"), "FAIL")
        self.assertTrue(reply.metadata.get("ErrorMessage"))

    def test_malformed_json_fails(self):
        client = self.connect()
        command_id = client.send_command("SetRoi", "{not json")
        reply, _, _ = client.wait_for_reply(command_id, 30)
        self.assertEqual(reply.metadata.get("Status"), "FAIL")

    def test_list_models_and_get_status(self):
        import json
        client = self.connect()
        command_id = client.send_command("ListModels", {})
        reply, _, text = client.wait_for_reply(command_id, 30)
        self.assertEqual(reply.metadata.get("Status"), "SUCCESS", text)
        models = json.loads(text)
        self.assertIn(models["default"], [entry["name"] for entry in models["models"]])
        command_id = client.send_command("GetStatus", {})
        reply, _, text = client.wait_for_reply(command_id, 30)
        self.assertEqual(reply.metadata.get("Status"), "SUCCESS", text)
        self.assertIn("sessions", json.loads(text))

    def wait_for_status(self, client, device):
        message = client.wait_for(lambda m: m.type == "STATUS" and m.device == device, 30)
        return igtl.unpack_status_content(message.content)

    def test_point_outside_the_volume_is_rejected_with_status_10(self):
        client = self.connect()
        array, m = _test_volume()
        client.send_image("ITOutside", array, m)
        client.send_points("SBPromptPos", [("P-1", (500.0, 500.0, 500.0), True, True)])
        code, _, _, text = self.wait_for_status(client, "SBPromptPos")
        self.assertEqual(code, 10, text)

    def test_only_negative_points_answer_not_ready(self):
        client = self.connect()
        array, m = _test_volume()
        client.send_image("ITNegOnly", array, m)
        corner = m[:3, :3] @ np.array([1.0, 1.0, 1.0]) + m[:3, 3]
        client.send_points("SBPromptNeg-", [("N-1", corner, True, True)])
        code, _, _, text = self.wait_for_status(client, "SBPromptNeg-")
        self.assertEqual(code, 13, text)

    def test_bad_crc_is_answered_and_the_connection_stays_open(self):
        client = self.connect()
        message = bytearray(igtl.pack_message("POINT", "SBPromptPos", igtl.pack_point_content(
            [("P-1", (0.0, 0.0, 0.0), True, True)]), {"MRMLNodeName": "MarkupsFiducial", "Status": "OK"}))
        message[-1] ^= 0xFF
        client.send_raw(bytes(message))
        code, _, _, text = self.wait_for_status(client, "SBPromptPos")
        self.assertEqual(code, 9, text)
        command_id = client.send_command("GetStatus", {})
        reply, _, _ = client.wait_for_reply(command_id, 30)
        self.assertEqual(reply.metadata.get("Status"), "SUCCESS")

    def test_replies_use_header_v2(self):
        client = self.connect()
        command_id = client.send_command("GetStatus", {})
        reply, _, _ = client.wait_for_reply(command_id, 30)
        self.assertEqual(reply.header_version, 2)


if __name__ == "__main__":
    unittest.main()
