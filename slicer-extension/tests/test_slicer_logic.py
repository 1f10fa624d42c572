"""SlicerBridgeLogic (the only code that talks to the connector) driven through fakes that behave like
SlicerOpenIGTLink's connector (see slicer_fakes)."""
import json
import threading
import unittest

import numpy as np

from . import slicer_fakes
from .slicer_fakes import tick
from SlicerBridgeLib import settings
from SlicerBridgeLib.settings import ConnectionSettings

LOST = "the connection to the server was lost"


class LogicTestCase(unittest.TestCase):
    def setUp(self):
        self.scene = slicer_fakes.install()
        self.addCleanup(slicer_fakes.uninstall)
        import SlicerBridge
        self.module = SlicerBridge
        self.logic = SlicerBridge.SlicerBridgeLogic()
        self.messages = []
        self.edges = []
        self.logic.addStatusListener(lambda text, isError: self.messages.append((text, isError)))
        self.logic.addConnectionListener(self.edges.append)

    def connect(self, features=("prior",)):
        self.logic.connect(ConnectionSettings("localhost", 18945, 5.0))
        connector = self.logic.connectorNode()
        tick(connector)
        self.answerStatus(connector, features)
        return connector

    def answerStatus(self, connector, features=("prior",)):
        status = [c for c in connector.commands if c.name == "GetStatus"][-1]
        connector.answer(status, {"Status": "SUCCESS"}, json.dumps({"features": list(features)}))
        tick(connector)


class ConnectionTests(LogicTestCase):
    def test_connect_configures_a_client_connector_and_learns_the_servers_features(self):
        connector = self.connect()
        self.assertEqual(connector.GetName(), "SlicerBridgeConnector")
        self.assertIn(("SetTypeClient", "localhost", 18945), connector.calls)
        self.assertIn(("SetCheckCRC", True), connector.calls)
        self.assertTrue(self.logic.isConnected())
        self.assertIn(("Connected.", False), self.messages)
        self.assertEqual(self.edges, [True])
        self.assertTrue(self.logic.serverSupports("prior"))
        self.assertFalse(self.logic.serverSupports("teleport"))

    def test_an_older_server_without_features_supports_none(self):
        self.connect(features=())
        self.assertFalse(self.logic.serverSupports("prior"))

    def test_invalid_settings_raise_before_touching_the_connector(self):
        with self.assertRaises(settings.SettingsError):
            self.logic.connect(ConnectionSettings("localhost", 0))
        with self.assertRaisesRegex(settings.SettingsError, "IPv4-only"):
            self.logic.connect(ConnectionSettings("::1", 18944))
        self.assertIsNone(self.logic.connectorNode())

    def test_an_outage_is_noticed_by_polling_although_the_connector_delivers_no_event(self):
        connector = self.connect()
        got = []
        self.logic.listModels(got.append)
        connector.serverStops()
        connector.periodicProcess()  # does nothing: the connector is not connected
        self.assertEqual(got, [])
        self.assertEqual(connector.observerCount(connector.DisconnectedEvent), 1)
        tick(connector)  # the poll timer reads the state
        self.assertFalse(self.logic.isConnected())
        self.assertEqual(got[0].error_message, "ListModels not answered: " + LOST)
        self.assertEqual(self.edges, [True, False])
        self.assertTrue(self.messages[-1][1])
        self.assertIn("keeps retrying", self.messages[-1][0])
        with self.assertRaisesRegex(ConnectionError, "Not connected"):
            self.logic.getStatus(got.append)

    def test_recovery_is_one_new_session_although_the_late_events_arrive_after_the_poll(self):
        connector = self.connect()
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16))
        self.logic.syncVolume(volume)
        connector.serverStops()
        tick(connector, 1.0)
        connector.serverStarts()  # queues the DisconnectedEvent and ConnectedEvent, delivered now
        tick(connector, 1.0)
        self.assertEqual(self.edges, [True, False, True])
        self.assertEqual(self.logic.connectionCount, 2)
        self.assertEqual(self.logic.syncVolume(volume), ("MRHead", True))  # the new session needs it again
        self.assertEqual(self.logic.syncVolume(volume), ("MRHead", False))

    def test_an_outage_shorter_than_one_poll_is_caught_by_the_late_events(self):
        connector = self.connect()
        connector.serverStops()
        connector.serverStarts()  # both between two polls
        tick(connector)
        self.assertEqual(self.edges, [True, False, True])
        self.assertEqual(self.logic.connectionCount, 2)

    def test_disconnect_stops_polling_and_fails_the_waiters(self):
        failed = []
        self.logic.whenConnected(ConnectionSettings("localhost", 18945, 5.0), lambda: None, failed.append)
        self.logic.disconnect()
        self.assertEqual(failed, ["Disconnected before the connection was made."])
        self.assertFalse(any(t.active for t in slicer_fakes.FakeQTimer.instances))

    def test_when_connected_waits_for_the_link_without_blocking(self):
        self.logic.connectorNode(create=True).serverRunning = False
        got, failed = [], []
        self.logic.whenConnected(ConnectionSettings("localhost", 18945, 5.0),
                                 lambda: self.logic.listModels(got.append), failed.append)
        connector = self.logic.connectorNode()
        self.assertIn(("Start",), connector.calls)
        self.assertEqual(connector.commands, [])
        self.assertEqual(slicer_fakes.FakeQTimer.scheduled[0][0], connector.clock.now + 5.0)
        slicer_fakes.FakeQTimer.scheduled.clear()  # the timeout fires later
        connector.serverStarts()
        tick(connector)
        self.assertEqual(sorted(c.name for c in connector.commands), ["GetStatus", "ListModels"])
        self.assertEqual(failed, [])

    def test_when_connected_times_out_with_a_message(self):
        self.logic.connectorNode(create=True).serverRunning = False
        ran, failed = [], []
        self.logic.whenConnected(ConnectionSettings("localhost", 18945, 2.0), lambda: ran.append(1), failed.append)
        slicer_fakes.fire_timers()
        self.assertEqual(len(failed), 1)
        self.assertIn("localhost:18945 within 2 s", failed[0])


class CommandTests(LogicTestCase):
    def test_commands_are_non_blocking_and_answered_through_the_connectors_processing(self):
        connector = self.connect()
        got = []
        self.logic.listModels(got.append)
        command = connector.commands[-1]
        self.assertEqual((command.name, command.content, command.blocking, command.timeout),
                         ("ListModels", "{}", False, 5.0))
        connector.answer(command, {"Status": "SUCCESS"},
                         json.dumps({"default": "growcut", "models": [{"name": "growcut"}]}))
        self.assertEqual(got, [])  # nothing happens until the connector processes the reply
        tick(connector)
        self.assertTrue(got[0].success)
        self.assertEqual(got[0].result["default"], "growcut")

    def test_failed_and_expired_commands_report_errors_once(self):
        connector = self.connect()
        got = []
        self.logic.undo("MRHead", got.append)
        self.logic.reset("MRHead", got.append)
        undo, reset = connector.commands[-2:]
        self.assertEqual(json.loads(undo.content), {"volume": "MRHead"})
        connector.answer(undo, {"Status": "FAIL", "ErrorMessage": "unknown volume 'MRHead'"})
        tick(connector, 6.0)  # the connector expires Reset
        self.assertEqual([r.error_message for r in got], ["unknown volume 'MRHead'", "Reset timed out after 5 s"])
        connector.answer(reset, {"Status": "SUCCESS"}, "{}")
        tick(connector)
        self.assertEqual(len(got), 2)  # a late answer is ignored

    def test_own_deadline_answers_when_the_connector_does_not_process(self):
        connector = self.connect()
        got = []
        self.logic.getStatus(got.append)
        connector.periodicProcess = lambda: None  # its processing stalls (as while disconnected)
        tick(connector, 4.0)
        self.assertEqual(got, [])
        tick(connector, 2.0)
        self.assertEqual(got[0].error_message, "GetStatus timed out after 5 s")

    def test_a_command_that_fails_to_send_completes_with_an_error(self):
        connector = self.connect()
        connector.failSends = True
        got = []
        self.logic.listModels(got.append)
        self.assertEqual(got, [])  # answered after the call returns
        slicer_fakes.fire_timers()
        self.assertEqual(got[0].error_message, "ListModels could not be sent to the server")
        tick(connector, 60.0)
        self.assertEqual(len(got), 1)

    def test_a_command_sent_without_a_socket_completes_with_an_error(self):
        connector = self.connect()
        connector.state = connector.StateWaitConnection  # socket gone, the poll has not run yet
        self.logic._monitor.up = True
        connector.state, real = connector.StateConnected, connector.SendCommand
        connector.SendCommand = lambda command: None  # no client socket: the status stays CommandUnknown
        got = []
        self.logic.getStatus(got.append)
        slicer_fakes.fire_timers()
        self.assertEqual(got[0].error_message, "GetStatus could not be sent to the server")
        connector.SendCommand = real


class StatusNodeTests(LogicTestCase):
    def test_status_nodes_for_our_device_names_are_hidden_and_their_errors_shown(self):
        connector = self.connect()
        self.logic.syncVolume(slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16)))
        connector.receiveStatus("MRHead", 10, "BadInput", "point 1 is outside the volume")
        connector.receiveStatus("SBPrompts", 13, "NotReady", "no positive point")
        connector.receiveStatus("Tracker", 1)
        tick(connector)
        byName = {n.GetName(): n for n in self.scene.nodes if n.IsA("vtkMRMLIGTLStatusNode")}
        self.assertTrue(byName["MRHead"].hidden and not byName["MRHead"].saveWithScene)
        self.assertTrue(byName["SBPrompts"].hidden)
        self.assertFalse(byName["Tracker"].hidden)  # not ours
        self.assertIn(("Server: bad input (point 1 is outside the volume)", True), self.messages)
        self.assertIn(("Server: not ready (no positive point)", True), self.messages)


class VolumeTests(LogicTestCase):
    def test_volume_is_pushed_once_and_again_only_after_a_real_change(self):
        connector = self.connect()
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16))
        self.assertEqual(self.logic.syncVolume(volume), ("MRHead", True))
        self.assertEqual([s[:2] for s in connector.sent], [("IMAGE", "MRHead")])
        self.assertEqual(volume.GetAttribute("OpenIGTLinkIF.out.name"), "MRHead")  # the push touched the node
        self.assertEqual(self.logic.syncVolume(volume), ("MRHead", False))
        volume.imageData.Modified()  # touched, same voxels
        self.assertEqual(self.logic.syncVolume(volume), ("MRHead", False))
        volume.imageData.array[0, 0, 0] = 5
        volume.imageData.Modified()
        self.assertEqual(self.logic.syncVolume(volume), ("MRHead", True))
        volume.matrix[0, 3] = 2.0  # geometry only
        self.assertEqual(self.logic.syncVolume(volume), ("MRHead", True))
        self.assertEqual(len(connector.sent), 3)
        self.assertEqual(connector.errors, [])

    def test_node_changes_alone_never_hash_the_voxels(self):
        self.connect()
        hashed = []
        real = self.module.volume_digest
        self.module.volume_digest = lambda array, matrix: hashed.append(1) or real(array, matrix)
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16))
        self.logic.syncVolume(volume)
        for _ in range(3):
            volume.SetAttribute("SomeModule.flag", "x")  # node modified, image data not
            self.logic.syncVolume(volume)
        self.assertEqual(len(hashed), 1)  # once, after the first push

    def test_a_big_volume_is_hashed_in_a_worker_thread_and_the_push_does_not_wait_for_it(self):
        connector = self.connect()
        threads = []
        release = threading.Event()
        real = self.module.volume_digest

        def recordingDigest(array, matrix):
            threads.append(threading.current_thread())
            release.wait(5)
            return real(array, matrix)

        self.logic.digests._digest_fn = recordingDigest
        big = np.zeros((65, 256, 256), np.int16)  # above the 8 MiB synchronous limit
        volume = slicer_fakes.FakeVolumeNode("Big", big)
        self.assertEqual(self.logic.syncVolume(volume), ("Big", True))  # pushed before any hash finished
        self.assertEqual(len(connector.sent), 1)
        release.set()
        self.logic.digests.wait(5)
        self.logic.poll()  # the poll timer collects the digest of what was pushed
        self.assertNotIn(threading.main_thread(), threads)
        volume.imageData.Modified()  # touched: its digest must be computed before deciding
        release.clear()
        self.assertEqual(self.logic.syncVolume(volume), ("Big", None))
        self.assertEqual(self.logic.syncVolume(volume), ("Big", None))  # still hashing, one job
        release.set()
        self.logic.digests.wait(5)
        self.assertEqual(self.logic.syncVolume(volume), ("Big", False))  # same voxels: no second push
        self.assertEqual(len(connector.sent), 1)
        self.assertEqual(len(threads), 2)

    def test_a_digest_of_a_volume_edited_while_hashing_is_dropped(self):
        self.connect()
        volume = slicer_fakes.FakeVolumeNode("Big", np.zeros((65, 256, 256), np.int16))
        gate = threading.Event()
        real = self.module.volume_digest
        self.logic.digests._digest_fn = lambda a, m: gate.wait(5) and real(a, m)
        self.logic.syncVolume(volume)
        volume.imageData.array[0, 0, 0] = 7
        volume.imageData.Modified()  # edited while the digest of the pushed state runs
        gate.set()
        self.logic.digests.wait(5)
        self.logic.poll()
        self.assertIsNone(self.logic.volumeSync.known_digest("Big", volume.imageData.GetMTime()))
        self.assertEqual(self.logic.syncVolume(volume), ("Big", True))

    def test_a_volume_whose_hash_fails_is_pushed_instead_of_checked_forever(self):
        connector = self.connect()
        volume = slicer_fakes.FakeVolumeNode("Big", np.zeros((65, 256, 256), np.int16))
        self.logic.syncVolume(volume)
        self.logic.digests.wait(5)
        self.logic.poll()
        self.logic.digests._digest_fn = lambda a, m: 1 / 0
        volume.imageData.Modified()
        self.assertEqual(self.logic.syncVolume(volume), ("Big", None))
        self.logic.digests.wait(5)
        self.assertEqual(self.logic.syncVolume(volume), ("Big", True))
        self.assertEqual(len(connector.sent), 2)

    def test_a_failed_get_status_means_no_features_rather_than_waiting(self):
        self.logic.connect(ConnectionSettings("localhost", 18945, 5.0))
        connector = self.logic.connectorNode()
        tick(connector)
        self.assertIsNone(self.logic.serverSupports("prior"))
        connector.answer(connector.commands[-1], {"Status": "FAIL", "ErrorMessage": "busy"})
        tick(connector)
        self.assertFalse(self.logic.serverSupports("prior"))

    def test_a_volume_named_like_a_prior_is_refused(self):
        self.connect()
        volume = slicer_fakes.FakeVolumeNode("CT_prior", np.zeros((1, 1, 1), np.int16))
        with self.assertRaisesRegex(ValueError, "rename the volume"):
            self.logic.syncVolume(volume)

    def test_unsendable_volumes_are_refused_with_a_reason(self):
        self.connect()
        volume = slicer_fakes.FakeVolumeNode("Ints", np.zeros((1, 1, 1), np.int32), np.eye(4), 6)
        with self.assertRaisesRegex(ValueError, "cast it to short or float"):
            self.logic.syncVolume(volume)

    def test_the_prior_goes_out_as_a_uint8_image_on_the_volume_grid(self):
        connector = self.connect()
        matrix = np.diag([0.5, 0.5, 2.0, 1.0])
        matrix[:3, 3] = [1, 2, 3]
        volume = slicer_fakes.FakeVolumeNode("AVeryLongVolumeNameHere", np.zeros((2, 3, 4), np.int16), matrix)
        device, _ = self.logic.syncVolume(volume)
        mask = np.zeros((2, 3, 4), bool)
        mask[1, 1, 1:3] = True
        self.assertEqual(self.logic.pushPrior(volume, device, mask), "AVeryLongVolum_prior")
        kind, name, (array, scalarType, sentMatrix) = connector.sent[-1]
        self.assertEqual((kind, name, scalarType, array.dtype), ("IMAGE", "AVeryLongVolum_prior", 3, np.uint8))
        np.testing.assert_array_equal(array, mask.astype(np.uint8))
        np.testing.assert_array_equal(sentMatrix, matrix)
        self.assertEqual(connector.errors, [])
        node = self.scene.GetFirstNodeByName("AVeryLongVolum_prior")
        self.assertTrue(node.hidden and not node.saveWithScene)


class NodeTests(LogicTestCase):
    def test_world_to_volume_matrix_inverts_a_linear_parent_transform(self):
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16))
        np.testing.assert_allclose(self.logic.worldToVolumeMatrix(volume), np.eye(4))
        toWorld = np.eye(4)
        toWorld[:3, 3] = [10.0, -5.0, 2.0]
        volume.parentTransform = slicer_fakes.FakeTransformNode("Moved", toWorld)
        worldToVolume = self.logic.worldToVolumeMatrix(volume)
        np.testing.assert_allclose(worldToVolume @ [10.0, -5.0, 2.0, 1.0], [0, 0, 0, 1], atol=1e-12)

    def test_non_linear_parent_transform_is_refused_with_a_reason(self):
        volume = slicer_fakes.FakeVolumeNode("MRHead", np.zeros((2, 3, 4), np.int16))
        volume.parentTransform = slicer_fakes.FakeTransformNode("Warp", np.eye(4), linear=False)
        with self.assertRaisesRegex(ValueError, "non-linear transform 'Warp'.*Harden transform"):
            self.logic.worldToVolumeMatrix(volume)

    def test_the_servers_image_lands_in_the_precreated_labelmap(self):
        connector = self.connect()
        node = self.logic.resultNode("AVeryLongVolumeNameHere")
        self.assertEqual((node.className, node.GetName()), ("vtkMRMLLabelMapVolumeNode", "AVeryLongVolumeN_seg"))
        self.assertIs(self.logic.resultNode("AVeryLongVolumeNameHere"), node)
        connector.receiveImage("AVeryLongVolumeN_seg", np.ones((2, 3, 4)), np.eye(4), {"RequestId": "A#1"})
        tick(connector)
        self.assertEqual(len([n for n in self.scene.nodes if n.GetName() == "AVeryLongVolumeN_seg"]), 1)
        self.assertEqual(int(node.imageData.array.sum()), 24)
        self.assertEqual(node.GetAttribute("OpenIGTLink.RequestId"), "A#1")

    def test_one_edit_pushes_the_whole_point_set_as_one_point_message(self):
        connector = self.connect()
        self.logic.pushPrompts(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([[7.0, 8.0, 9.0]]))
        self.assertEqual(connector.sent, [("POINT", "SBPrompts", [("1", (1.0, 2.0, 3.0)), ("2", (4.0, 5.0, 6.0)),
                                                                  ("-1", (7.0, 8.0, 9.0))])])
        node = self.scene.GetFirstNodeByName("SBPrompts")
        self.assertFalse(node.GetDisplayNode().GetVisibility())
        self.logic.pushPrompts(np.zeros((0, 3)), np.array([[7.0, 8.0, 9.0]]))
        self.assertEqual(connector.sent[-1], ("POINT", "SBPrompts", [("-1", (7.0, 8.0, 9.0))]))

    def test_segment_request_names_the_output(self):
        connector = self.connect()
        self.logic.segment("MRHead", [((1, 2, 3), True)], None, "growcut", lambda reply: None)
        payload = json.loads(connector.commands[-1].content)
        self.assertEqual(payload["output"], "MRHead_seg")
        self.assertEqual(payload["model"], "growcut")


if __name__ == "__main__":
    unittest.main()
