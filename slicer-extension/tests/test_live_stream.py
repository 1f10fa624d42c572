"""Live stream requests, frame metadata, GetStatus rates and the Start/Stop controller (docs/live-2d.md)."""
import json
import unittest

from SlicerBridgeLib import live_stream
from SlicerBridgeLib.replies import CommandReply
from SlicerBridgeLib.requests import RequestBuilder


class StartStreamRequestTests(unittest.TestCase):
    def test_box_and_points_follow_the_wire_convention(self):
        request = RequestBuilder(7).start_stream(
            "Image_Reference", "sam-med2d", box=((10, -5, 3), (-2, 4, 3)),
            points=[((1, 2, 3), True), ((4, 5, 6), False)])
        self.assertEqual((request.command_id, request.name), (7, "StartStream"))
        self.assertEqual(json.loads(request.content), {
            "Device": "Image_Reference", "Model": "sam-med2d", "Box": [-2.0, -5.0, 3.0, 10.0, 4.0, 3.0],
            "Points": [[1.0, 2.0, 3.0, 1], [4.0, 5.0, 6.0, 0]]})

    def test_box_and_points_are_optional(self):
        self.assertEqual(json.loads(RequestBuilder().start_stream("US").content), {"Device": "US"})

    def test_bad_input_is_refused(self):
        builder = RequestBuilder()
        with self.assertRaises(ValueError):
            builder.start_stream("")
        with self.assertRaises(ValueError):
            builder.start_stream("US", box=((0, 0, float("nan")), (1, 1, 1)))
        with self.assertRaises(ValueError):
            builder.start_stream("US", box=(1, 2, 3))

    def test_stop_stream(self):
        request = RequestBuilder(3).stop_stream("US")
        self.assertEqual((request.name, request.payload), ("StopStream", {"Device": "US"}))


class FrameMetadataTests(unittest.TestCase):
    def test_node_attributes_are_read(self):
        info = live_stream.parse_frame_metadata({
            "OpenIGTLink.FrameIndex": "42", "OpenIGTLink.DroppedFrames": "3", "OpenIGTLink.LatencyMs": "85.5",
            "OpenIGTLink.Score": "0.91", "OpenIGTLink.Tracking": "Tracking", "OpenIGTLink.Model": "sam-med2d"})
        self.assertEqual(info, live_stream.FrameInfo(42, 3, 85.5, 0.91, "Tracking", "sam-med2d"))
        self.assertFalse(info.lost)

    def test_lost_and_unreadable_values(self):
        info = live_stream.parse_frame_metadata({"Tracking": "Lost", "FrameIndex": "x", "LatencyMs": "nan",
                                                 "DroppedFrames": "-1"})
        self.assertTrue(info.lost)
        self.assertIsNone(info.frame_index)
        self.assertIsNone(info.latency_ms)
        self.assertIsNone(info.dropped_frames)

    def test_device_names(self):
        self.assertEqual(live_stream.stream_frame_device("Image_Reference_LongX"), "Image_Reference_")
        self.assertEqual(live_stream.stream_mask_device("Image_Reference"), "Image_Reference_seg")
        self.assertEqual(live_stream.stream_candidates(["Image_Reference", "Image_Reference_seg", "MRHead_prior",
                                                        "Image_Reference", "Ümlaut", "A" * 21, "US"]),
                         ["Image_Reference", "US"])


class StreamRatesTests(unittest.TestCase):
    STATUS = {"streams": [
        {"device": "Other", "inputFps": 1},
        {"device": "US", "source": "127.0.0.1:18945", "clients": 2, "framesReceived": 300, "droppedFrames": 12,
         "inputFps": 15.02, "outputFps": 7.5, "lastLatencyMs": 120.3}]}

    def test_the_chosen_stream_is_found(self):
        self.assertEqual(live_stream.parse_stream_rates(self.STATUS, "US"),
                         live_stream.StreamRates("US", 15.02, 7.5, 300, 12, 120.3, 2))

    def test_server_stream_devices_are_listed(self):
        self.assertEqual(live_stream.server_stream_devices(self.STATUS), ["Other", "US"])
        self.assertEqual(live_stream.server_stream_devices({"streams": [{"device": 3}, "x"]}), [])
        self.assertEqual(live_stream.server_stream_devices({}), [])

    def test_absent_stream_or_old_server(self):
        self.assertIsNone(live_stream.parse_stream_rates(self.STATUS, "Nope"))
        self.assertIsNone(live_stream.parse_stream_rates({"version": "1"}, "US"))


class FakeSender:
    def __init__(self, connected=True):
        self.sent = []
        self.connected = connected

    def __call__(self, request, callback):
        if not self.connected:
            raise ConnectionError("not connected to the server")
        self.sent.append((request, callback))

    def answer(self, success=True, message="", index=-1):
        request, callback = self.sent[index]
        callback(CommandReply(request.command_id, request.name, success, message, {}))


class ControllerTests(unittest.TestCase):
    def setUp(self):
        self.send = FakeSender()
        self.changes = []
        self.controller = live_stream.LiveStreamController(self.send, RequestBuilder(),
                                                           lambda: self.changes.append(self.controller.state))

    def test_start_stream_frames_and_stop(self):
        c = self.controller
        c.start("US", "sam-med2d", box=((0, 0, 0), (10, 10, 0)))
        self.assertEqual(c.state, live_stream.STARTING)
        self.assertEqual(c.mask_device, "US_seg")
        self.send.answer()
        self.assertEqual(c.state, live_stream.STREAMING)
        self.assertEqual(c.summary(), "Streaming US, waiting for the first frame")
        c.on_frame({"OpenIGTLink.FrameIndex": "5", "OpenIGTLink.LatencyMs": "80", "OpenIGTLink.Score": "0.9",
                    "OpenIGTLink.Tracking": "Tracking", "OpenIGTLink.DroppedFrames": "2"})
        c.on_status(StreamRatesTests.STATUS)
        self.assertEqual(c.summary(), "Streaming US, tracking: Tracking, frame 5, latency 80 ms, score 0.90, "
                                      "15.0 fps in, 7.5 fps out, 12 dropped")
        c.on_frame({"OpenIGTLink.Tracking": "Lost"})
        self.assertIn("tracking LOST", c.summary())
        c.stop()
        self.assertEqual(self.send.sent[-1][0].name, "StopStream")
        self.assertEqual(c.state, live_stream.STOPPING)
        self.send.answer()
        self.assertEqual((c.state, c.summary()), (live_stream.IDLE, "Stopped"))
        self.assertEqual(self.changes, [live_stream.STREAMING, live_stream.IDLE], "each reply is reported")
        self.assertIsNone(c.on_frame({"FrameIndex": "6"}))

    def test_refused_start_shows_the_server_message(self):
        self.controller.start("US")
        self.send.answer(False, "Model 'growcut' cannot follow live frames")
        self.assertEqual(self.controller.state, live_stream.IDLE)
        self.assertEqual(self.controller.summary(), "Stopped (Model 'growcut' cannot follow live frames)")

    def test_a_new_prompt_while_streaming_reprompts_and_a_refusal_keeps_streaming(self):
        c = self.controller
        c.start("US")
        self.send.answer()
        c.on_frame({"FrameIndex": "1"})
        c.start("US", points=[((1, 2, 3), True)])
        self.assertEqual(self.send.sent[-1][0].payload["Points"], [[1.0, 2.0, 3.0, 1]])
        self.assertIsNotNone(c.frame, "the overlay state is kept while re-prompting")
        self.send.answer(False, "bad point")
        self.assertEqual((c.state, c.error), (live_stream.STREAMING, "bad point"))
        with self.assertRaises(RuntimeError):
            c.start("Other")

    def test_no_second_request_while_one_is_pending(self):
        self.controller.start("US")
        with self.assertRaises(RuntimeError):
            self.controller.start("US")

    def test_a_late_reply_to_an_old_start_is_ignored(self):
        c = self.controller
        c.start("US")
        c.stop()  # STARTING -> STOPPING; the StartStream reply arrives after
        self.send.answer(index=0)
        self.assertEqual(c.state, live_stream.STOPPING)
        self.send.answer(index=1)
        self.assertEqual(c.state, live_stream.IDLE)

    def test_not_connected(self):
        self.send.connected = False
        with self.assertRaises(ConnectionError):
            self.controller.start("US")
        self.assertEqual(self.controller.state, live_stream.IDLE)

    def test_connection_lost_ends_the_stream(self):
        self.controller.start("US")
        self.send.answer()
        self.controller.connection_lost()
        self.assertEqual(self.controller.state, live_stream.IDLE)
        self.assertIn("connection lost", self.controller.summary())
        self.assertIsNone(self.controller.stop())


if __name__ == "__main__":
    unittest.main()
