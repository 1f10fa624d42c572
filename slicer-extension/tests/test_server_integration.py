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

from SlicerBridgeLib import geometry, names, prompts, replies
from SlicerBridgeLib.requests import RequestBuilder

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


def _ras(m, i, j, k):
    return m[:3, :3] @ np.array([i, j, k], dtype=float) + m[:3, 3]


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

    def command(self, client, builder, request, seen=None):
        """Sends a SlicerBridgeLib request and parses the reply with SlicerBridgeLib, as the module does."""
        client.send_request(request)
        message, name, text = client.wait_for_reply(request.command_id, RESULT_TIMEOUT_S, seen)
        self.assertEqual(name, request.name)
        return replies.parse_command_reply(request.command_id, request.name, message.metadata, text)

    @staticmethod
    def push_prompts(client, positive, negative):
        """Exactly what the effect sends for one edit: the whole point set in one POINT message."""
        elements = prompts.prompt_point_elements(positive, negative)
        client.send_points(names.PROMPT_NODE_NAME, [(name, ras, True, True) for name, ras in elements])

    @staticmethod
    def wait_for_labelmap(client, volume, seen=None):
        message = client.wait_for(lambda m: m.type == "IMAGE" and m.device == names.result_device_name(volume),
                                  RESULT_TIMEOUT_S, seen)
        return message, igtl.unpack_image_content(message.content)

    def test_points_produce_a_labelmap_with_the_volume_geometry(self):
        client = self.connect()
        array, m = _test_volume()
        client.send_image("ITBall", array, m)
        self.push_prompts(client, [_ras(m, 12, 10, 8)], [_ras(m, 1, 1, 1)])
        message, image = self.wait_for_labelmap(client, "ITBall")
        self.assertEqual(image.array_kji.shape, array.shape)
        self.assertEqual(image.array_kji.dtype, np.uint8)
        np.testing.assert_allclose(image.ijk_to_ras, m, atol=1e-4)
        self.assertEqual(image.coordinate, 1)
        self.assertTrue(set(np.unique(image.array_kji).tolist()) <= {0, 1})
        self.assertEqual(image.array_kji[8, 10, 12], 1, "the positive click must be inside the result")
        self.assertEqual(image.array_kji[1, 1, 1], 0, "the negative click must be outside the result")
        info = replies.parse_result_metadata(message.metadata)
        self.assertIn("TotalMs", info.timings_ms)

    def test_each_edit_is_one_point_message_one_segmentation_and_one_undo_step(self):
        client = self.connect()
        builder = RequestBuilder()
        array, m = _test_volume()
        client.send_image("ITEdits", array, m)
        edits = [([_ras(m, 12, 10, 8)], []),
                 ([_ras(m, 12, 10, 8)], [_ras(m, 1, 1, 1)]),
                 ([_ras(m, 12, 10, 8), _ras(m, 14, 10, 8)], [_ras(m, 1, 1, 1)])]
        seen = []
        for n, (positive, negative) in enumerate(edits, start=1):
            self.push_prompts(client, positive, negative)
            message, _ = self.wait_for_labelmap(client, "ITEdits", seen)
            # the server numbers POINT-triggered runs: one run per edit means #1, #2, #3
            self.assertEqual(replies.parse_result_metadata(message.metadata).request_id, f"ITEdits#{n}")
        reply = self.command(client, builder, builder.undo("ITEdits"), seen)
        self.assertTrue(reply.success, reply.error_message)
        self.assertEqual(reply.result["depth"], len(edits) - 1, "one undo entry per edit")
        others = [(s.type, s.device, s.metadata.get("RequestId")) for s in seen if s.type in ("STATUS", "IMAGE")]
        self.assertEqual(others, [("IMAGE", "ITEdits_seg", "ITEdits#undo")], "no error, no extra labelmap")

    def test_undo_resends_the_previous_labelmap(self):
        client = self.connect()
        builder = RequestBuilder()
        array, m = _test_volume()
        client.send_image("ITUndo", array, m)
        self.push_prompts(client, [_ras(m, 12, 10, 8)], [])
        _, first = self.wait_for_labelmap(client, "ITUndo")
        self.push_prompts(client, [_ras(m, 12, 10, 8)], [_ras(m, 12, 10, 5)])
        self.wait_for_labelmap(client, "ITUndo")
        seen = []
        reply = self.command(client, builder, builder.undo("ITUndo"), seen)
        self.assertTrue(reply.success, reply.error_message)
        self.assertEqual(reply.result, {"volume": "ITUndo", "depth": 1})
        undone = [s for s in seen if s.type == "IMAGE"]
        self.assertEqual(len(undone), 1)
        self.assertEqual(undone[0].metadata.get("RequestId"), "ITUndo#undo")
        np.testing.assert_array_equal(igtl.unpack_image_content(undone[0].content).array_kji, first.array_kji)

    def test_reset_clears_the_result_and_the_undo_stack(self):
        client = self.connect()
        builder = RequestBuilder()
        array, m = _test_volume()
        client.send_image("ITReset", array, m)
        self.push_prompts(client, [_ras(m, 12, 10, 8)], [_ras(m, 1, 1, 1)])
        self.wait_for_labelmap(client, "ITReset")
        seen = []
        reply = self.command(client, builder, builder.reset("ITReset"), seen)  # the effect's "last positive deleted"
        self.assertTrue(reply.success, reply.error_message)
        cleared = [s for s in seen if s.type == "IMAGE"]
        self.assertEqual(cleared[-1].metadata.get("RequestId"), "ITReset#reset")
        self.assertFalse(igtl.unpack_image_content(cleared[-1].content).array_kji.any())
        reply = self.command(client, builder, builder.undo("ITReset"))
        self.assertEqual(reply.result["depth"], 0)

    def test_set_roi_with_axes_limits_the_result(self):
        client = self.connect()
        builder = RequestBuilder()
        array, m = _test_volume()
        client.send_image("ITRoi", array, m)
        self.push_prompts(client, [_ras(m, 12, 10, 8)], [])
        _, unrestricted = self.wait_for_labelmap(client, "ITRoi")
        angle = np.deg2rad(30)
        axes = [[np.cos(angle), np.sin(angle), 0.0], [-np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]]
        roi = geometry.roi_from_center_size_axes(_ras(m, 12, 10, 8), [4.0, 4.0, 6.0], axes)
        reply = self.command(client, builder, builder.set_roi(roi, "ITRoi"))
        self.assertTrue(reply.success, reply.error_message)
        np.testing.assert_allclose(reply.result["roi"]["axes"], roi.axes, atol=1e-9)
        self.push_prompts(client, [_ras(m, 12, 10, 8)], [])
        _, limited = self.wait_for_labelmap(client, "ITRoi")
        corners_ijk = geometry.ras_to_ijk(m, geometry.roi_corners(roi))
        kji = np.argwhere(limited.array_kji)
        self.assertTrue(len(kji) > 0)
        self.assertTrue(np.all(kji[:, ::-1] >= np.floor(corners_ijk.min(axis=0))))
        self.assertTrue(np.all(kji[:, ::-1] <= np.ceil(corners_ijk.max(axis=0))))
        self.assertLess(len(kji), int(unrestricted.array_kji.sum()))
        reply = self.command(client, builder, builder.clear_roi("ITRoi"))
        self.assertTrue(reply.success, reply.error_message)
        self.assertIsNone(reply.result["roi"])

    def test_set_model_accepts_a_listed_model_and_refuses_an_unknown_one(self):
        client = self.connect()
        builder = RequestBuilder()
        default, models = replies.parse_models(self.command(client, builder, builder.list_models()).result)
        self.assertIn(default, models)
        reply = self.command(client, builder, builder.set_model(default))
        self.assertEqual((reply.success, reply.result), (True, {"model": default}))
        reply = self.command(client, builder, builder.set_model("no-such-model"))
        self.assertFalse(reply.success)
        self.assertIn("no-such-model", reply.error_message)
        status = self.command(client, builder, builder.get_status())
        self.assertEqual(status.result["model"], default)

    def test_segment_command_is_answered_after_its_labelmap(self):
        client = self.connect()
        builder = RequestBuilder()
        array, m = _test_volume()
        client.send_image("ITCmd", array, m)
        request = builder.segment(volume="ITCmd", points=[(_ras(m, 12, 10, 8), True)], request_id="it-1",
                                  output=names.result_device_name("ITCmd"))
        seen = []
        reply = self.command(client, builder, request, seen)
        self.assertTrue(reply.success, reply.error_message)
        self.assertEqual(reply.result["requestId"], "it-1")
        images = [s for s in seen if s.type == "IMAGE" and s.device == "ITCmd_seg"]
        self.assertTrue(images, "the labelmap must arrive before the command reply")
        self.assertEqual(replies.parse_result_metadata(images[-1].metadata).request_id, "it-1")

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
        client = self.connect()
        builder = RequestBuilder()
        default, models = replies.parse_models(self.command(client, builder, builder.list_models()).result)
        self.assertIn(default, models)
        status = self.command(client, builder, builder.get_status())
        self.assertTrue(status.success, status.error_message)
        self.assertIn("sessions", status.result)
        self.assertIn("version", replies.summarise_status(status.result))

    def wait_for_status(self, client, device):
        message = client.wait_for(lambda m: m.type == "STATUS" and m.device == device, 30)
        return igtl.unpack_status_content(message.content)

    def test_point_outside_the_volume_is_rejected_with_status_10(self):
        client = self.connect()
        array, m = _test_volume()
        client.send_image("ITOutside", array, m)
        self.push_prompts(client, [(500.0, 500.0, 500.0)], [])
        code, _, _, text = self.wait_for_status(client, names.PROMPT_NODE_NAME)
        self.assertEqual(code, 10, text)

    def test_only_negative_points_answer_not_ready(self):
        client = self.connect()
        array, m = _test_volume()
        client.send_image("ITNegOnly", array, m)
        self.push_prompts(client, [], [_ras(m, 1, 1, 1)])  # the server's own check; the effect sends Reset instead
        code, _, _, text = self.wait_for_status(client, names.PROMPT_NODE_NAME)
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

    def test_the_prior_push_is_refined_by_the_next_click_and_a_mismatched_one_is_refused(self):
        """What the effect does for "start from the selected segment": the segment on the volume's grid as
        IMAGE uint8 `<volume[:14]>_prior` (what pushPrior's hidden scalar node becomes on the wire), then POINT."""
        client = self.connect()
        builder = RequestBuilder()
        status = self.command(client, builder, builder.get_status())
        self.assertIn("prior", replies.parse_features(status.result))
        array, m = _test_volume()
        volume = "ITPriorRefineVolume1"  # 20 characters: the prior keeps 14 of them
        client.send_image(volume, array, m)
        prior = np.zeros(array.shape, dtype=np.uint8)
        prior[6:11, 8:13, 10:15] = 1  # a block inside the ball, as an earlier segment
        prior[2:4, 2:5, 2:5] = 1  # and a blob far from it that the user kept
        client.send_image(names.prior_device_name(volume), prior, m)
        self.push_prompts(client, [_ras(m, 12, 10, 8)], [])
        seen = []
        _, image = self.wait_for_labelmap(client, volume, seen)
        self.assertEqual([], [s for s in seen if s.type == "STATUS"], "an accepted prior gets no reply")
        self.assertTrue(np.all(image.array_kji[prior == 1] == 1), "the result must hold the prior")
        self.assertEqual(image.array_kji[8, 10, 12], 1)

        # A mask on another grid is refused with STATUS 10, naming the difference.
        client.send_image(names.prior_device_name(volume), prior[:, :, :-1], m)
        code, _, _, text = self.wait_for_status(client, names.prior_device_name(volume))
        self.assertEqual(code, 10, text)
        self.assertIn("dimensions", text)
        # A prior for a volume this session never sent: STATUS 4.
        client.send_image(names.prior_device_name("NotSentVolume"), prior, m)
        code, _, _, text = self.wait_for_status(client, names.prior_device_name("NotSentVolume"))
        self.assertEqual(code, 4, text)


if __name__ == "__main__":
    unittest.main()
