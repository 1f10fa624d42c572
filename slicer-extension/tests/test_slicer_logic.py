"""SlicerBridgeLogic (the only code that talks to the connector) driven through recording fakes."""
import json
import unittest

import numpy as np

from . import slicer_fakes
from SlicerBridgeLib import settings
from SlicerBridgeLib.settings import ConnectionSettings


class SlicerBridgeLogicTests(unittest.TestCase):
    def setUp(self):
        self.scene = slicer_fakes.install()
        self.addCleanup(slicer_fakes.uninstall)
        import SlicerBridge
        self.module = SlicerBridge
        self.logic = SlicerBridge.SlicerBridgeLogic()
        self.messages = []
        self.logic.addStatusListener(lambda text, isError: self.messages.append((text, isError)))

    def connect(self):
        self.logic.connect(ConnectionSettings("localhost", 18945, 5.0))
        connector = self.logic.connectorNode()
        connector.serverAccepts()
        return connector

    def test_connect_configures_a_client_connector(self):
        connector = self.connect()
        self.assertEqual(connector.GetName(), "SlicerBridgeConnector")
        self.assertIn(("SetTypeClient", "localhost", 18945), connector.calls)
        self.assertIn(("SetCheckCRC", True), connector.calls)
        self.assertTrue(self.logic.isConnected())
        self.assertEqual(self.messages[-1], ("Connected.", False))

    def test_invalid_settings_raise_before_touching_the_connector(self):
        with self.assertRaises(settings.SettingsError):
            self.logic.connect(ConnectionSettings("localhost", 0))
        self.assertIsNone(self.logic.connectorNode())

    def test_commands_are_non_blocking_and_replies_parsed(self):
        connector = self.connect()
        got = []
        self.logic.listModels(got.append)
        command = connector.commands[-1]
        self.assertEqual((command.name, command.content, command.blocking, command.timeout),
                         ("ListModels", "{}", False, 5.0))
        self.assertEqual(got, [])  # nothing happens until the response event
        command.complete(command.CommandResponseReceived, {"Status": "SUCCESS"},
                         json.dumps({"default": "growcut", "models": [{"name": "growcut"}]}))
        self.assertTrue(got[0].success)
        self.assertEqual(got[0].result["default"], "growcut")

    def test_failed_expired_and_dropped_commands_report_errors(self):
        connector = self.connect()
        got = []
        self.logic.undo("MRHead", got.append)
        self.logic.reset("MRHead", got.append)
        self.logic.getStatus(got.append)
        undo, reset, status = connector.commands[-3:]
        self.assertEqual(json.loads(undo.content), {"volume": "MRHead"})
        undo.complete(undo.CommandResponseReceived, {"Status": "FAIL", "ErrorMessage": "unknown volume 'MRHead'"})
        reset.complete(reset.CommandExpired)
        connector.InvokeEvent(connector.DisconnectedEvent)
        self.assertEqual([r.error_message for r in got], [
            "unknown volume 'MRHead'", "Reset timed out after 5 s", "GetStatus not answered: the connection to "
            "the server was lost"])
        status.complete(status.CommandResponseReceived, {"Status": "SUCCESS"}, "{}")
        self.assertEqual(len(got), 3)  # a late answer to a dropped command is ignored

    def test_when_connected_waits_for_the_connected_event_without_blocking(self):
        got, failed = [], []
        self.logic.whenConnected(ConnectionSettings("localhost", 18945, 5.0),
                                 lambda: self.logic.getStatus(got.append), failed.append)
        connector = self.logic.connectorNode()
        self.assertIn(("Start",), connector.calls)
        self.assertEqual(connector.commands, [])  # not connected yet: nothing sent
        self.assertEqual(slicer_fakes.FakeQTimer.scheduled[0][0], 5000)
        connector.serverAccepts()
        self.assertEqual([c.name for c in connector.commands], ["GetStatus"])
        slicer_fakes.fire_timers()  # the timeout after success does nothing
        self.assertEqual(failed, [])

    def test_when_connected_times_out_with_a_message(self):
        ran, failed = [], []
        self.logic.whenConnected(ConnectionSettings("localhost", 18945, 2.0), lambda: ran.append(1), failed.append)
        slicer_fakes.fire_timers()
        self.assertEqual(len(failed), 1)
        self.assertIn("localhost:18945 within 2 s", failed[0])
        self.logic.connectorNode().serverAccepts()
        self.assertEqual(ran, [])

    def test_when_connected_runs_at_once_when_connected(self):
        self.connect()
        ran = []
        self.logic.whenConnected(ConnectionSettings("localhost", 18945, 5.0), lambda: ran.append(1), None)
        self.assertEqual((ran, slicer_fakes.FakeQTimer.scheduled), ([1], []))

    def test_disconnect_fails_the_waiters(self):
        failed = []
        self.logic.whenConnected(ConnectionSettings("localhost", 18945, 5.0), lambda: None, failed.append)
        self.logic.disconnect()
        self.assertEqual(failed, ["Disconnected before the connection was made."])

    def test_commands_need_a_connection(self):
        with self.assertRaisesRegex(ConnectionError, "Not connected"):
            self.logic.getStatus(lambda reply: None)

    def test_volume_is_pushed_once_and_again_only_after_a_change(self):
        connector = self.connect()
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16), np.eye(4), 4)
        self.assertEqual(self.logic.pushVolumeIfChanged(volume), "MRHead")
        self.assertEqual(connector.calls[-3:], [("Register", "MRHead"), ("Push", "MRHead"), ("Unregister", "MRHead")])
        count = len(connector.calls)
        self.logic.pushVolumeIfChanged(volume)
        volume.Modified()  # touched, same voxels: no push
        self.logic.pushVolumeIfChanged(volume)
        self.assertEqual(len(connector.calls), count)
        volume.imageData.array[0, 0, 0] = 5
        volume.imageData.Modified()
        self.logic.pushVolumeIfChanged(volume)
        self.assertEqual(connector.calls[-2], ("Push", "MRHead"))
        count = len(connector.calls)
        connector.serverAccepts()  # reconnect = new server session
        self.logic.pushVolumeIfChanged(volume)
        self.assertEqual(len(connector.calls), count + 3)

    def test_an_edited_volume_is_hashed_once_per_change(self):
        self.connect()
        hashed = []
        real = self.module.volume_digest
        self.module.volume_digest = lambda array, matrix: hashed.append(1) or real(array, matrix)
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16), np.eye(4), 4)
        self.logic.pushVolumeIfChanged(volume)
        volume.imageData.array[0, 0, 0] = 5
        volume.imageData.Modified()
        self.logic.pushVolumeIfChanged(volume)
        self.logic.pushVolumeIfChanged(volume)
        self.assertEqual(len(hashed), 2)  # first push, then the edit: needs_push and mark_sent share one hash

    def test_unsendable_volumes_are_refused_with_a_reason(self):
        self.connect()
        volume = slicer_fakes.FakeVolumeNode("Ints", np.zeros((1, 1, 1), np.int32), np.eye(4), 6)
        with self.assertRaisesRegex(ValueError, "cast it to short or float"):
            self.logic.pushVolumeIfChanged(volume)

    def test_world_to_volume_matrix_inverts_a_linear_parent_transform(self):
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16), np.eye(4), 4)
        np.testing.assert_allclose(self.logic.worldToVolumeMatrix(volume), np.eye(4))
        toWorld = np.eye(4)
        toWorld[:3, 3] = [10.0, -5.0, 2.0]
        volume.parentTransform = slicer_fakes.FakeTransformNode("Moved", toWorld)
        worldToVolume = self.logic.worldToVolumeMatrix(volume)
        np.testing.assert_allclose(worldToVolume @ [10.0, -5.0, 2.0, 1.0], [0, 0, 0, 1], atol=1e-12)

    def test_non_linear_parent_transform_is_refused_with_a_reason(self):
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16), np.eye(4), 4)
        volume.parentTransform = slicer_fakes.FakeTransformNode("Warp", np.eye(4), linear=False)
        with self.assertRaisesRegex(ValueError, "non-linear transform 'Warp'.*Harden transform"):
            self.logic.worldToVolumeMatrix(volume)

    def test_result_node_is_a_labelmap_named_by_the_contract(self):
        node = self.logic.resultNode("AVeryLongVolumeNameHere")
        self.assertEqual((node.className, node.GetName()), ("vtkMRMLLabelMapVolumeNode", "AVeryLongVolumeN_seg"))
        self.assertIs(self.logic.resultNode("AVeryLongVolumeNameHere"), node)

    def test_one_edit_pushes_the_whole_point_set_as_one_point_message(self):
        connector = self.connect()
        self.logic.pushPrompts(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([[7.0, 8.0, 9.0]]))
        pushes = [call[1] for call in connector.calls if call[0] == "Push"]
        self.assertEqual(pushes, ["SBPrompts"])
        node = self.scene.GetFirstNodeByName("SBPrompts")
        self.assertEqual(node.points, [((1.0, 2.0, 3.0), "1"), ((4.0, 5.0, 6.0), "2"), ((7.0, 8.0, 9.0), "-1")])
        self.assertFalse(node.GetDisplayNode().GetVisibility())
        self.logic.pushPrompts(np.zeros((0, 3)), np.array([[7.0, 8.0, 9.0]]))
        self.assertEqual(node.points, [((7.0, 8.0, 9.0), "-1")])
        self.assertEqual([c for c in connector.calls if c[0] == "Push"], [("Push", "SBPrompts")] * 2)

    def test_segment_request_names_the_output(self):
        connector = self.connect()
        self.logic.segment("MRHead", [((1, 2, 3), True)], None, "growcut", lambda reply: None)
        payload = json.loads(connector.commands[-1].content)
        self.assertEqual(payload["output"], "MRHead_seg")
        self.assertEqual(payload["model"], "growcut")


if __name__ == "__main__":
    unittest.main()
