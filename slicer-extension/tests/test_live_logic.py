"""The Live section's logic calls (stream candidates, prompts from markups, the `_seg` overlay node) with the
controller, through the connector fakes (slicer_fakes)."""
import json

import numpy as np

from .slicer_fakes import IMAGE_DATA_MODIFIED_EVENT, FakeMarkupsNode, FakeROINode, tick
from .test_slicer_logic import LogicTestCase
from SlicerBridgeLib import live_stream

FRAME_TO_RAS = np.array([[0.2, 0, 0, -10], [0, 0.2, 0, 5], [0, 0, 1, 30], [0, 0, 0, 1]])


class LiveLogicTests(LogicTestCase):
    def test_incoming_frames_are_stream_candidates_but_our_results_are_not(self):
        connector = self.connect()
        self.assertEqual(self.logic.incomingImageNames(), [])
        connector.receiveImage("Image_Reference", np.zeros((1, 4, 4)), FRAME_TO_RAS)
        self.logic.resultNode("Image_Reference")
        connector.receiveImage("Image_Reference_seg", np.zeros((1, 4, 4)), FRAME_TO_RAS)
        tick(connector)
        self.assertEqual(live_stream.stream_candidates(self.logic.incomingImageNames()), ["Image_Reference"])

    def test_prompts_from_an_roi_and_points_in_world_ras(self):
        roi = self.scene.AddNode(FakeROINode("Box"))
        roi.place([10, 20, 30], [4, 6, 0])
        points = self.scene.AddNode(FakeMarkupsNode("Clicks"))
        points.AddControlPoint((1, 2, 30), "F-1")
        points.AddControlPoint((3, 4, 30), "-1")
        points.hover((9, 9, 9))  # the preview point under the mouse is not a prompt
        box, prompts = self.logic.livePrompts(roi, points)
        np.testing.assert_allclose(box, ((8, 17, 30), (12, 23, 30)))
        self.assertEqual(prompts, [((1.0, 2.0, 30.0), True), ((3.0, 4.0, 30.0), False)])

    def test_a_box_being_placed_and_no_positive_point_is_refused(self):
        roi = self.scene.AddNode(FakeROINode("Box"))
        roi.placeFirstCorner((1, 1, 1))
        points = self.scene.AddNode(FakeMarkupsNode("Clicks"))
        points.AddControlPoint((3, 4, 30), "-1")
        with self.assertRaisesRegex(ValueError, "Draw a box"):
            self.logic.livePrompts(roi, points)

    def test_start_stream_through_the_connector_and_follow_the_mask(self):
        connector = self.connect()
        controller = live_stream.LiveStreamController(self.logic.sendCommand, self.logic.requests)
        roi = self.scene.AddNode(FakeROINode("Box"))
        roi.place([0, 10, 30], [20, 10, 0])
        box, points = self.logic.livePrompts(roi, None)
        controller.start("Image_Reference", "sam-med2d", box, points)
        command = connector.commands[-1]
        self.assertEqual(command.name, "StartStream")
        self.assertEqual(json.loads(command.content), {"Device": "Image_Reference", "Model": "sam-med2d",
                                                       "Box": [-10.0, 5.0, 30.0, 10.0, 15.0, 30.0]})
        connector.answer(command, {"Status": "SUCCESS"})
        tick(connector)
        self.assertEqual(controller.state, live_stream.STREAMING)

        mask = self.logic.resultNode(controller.device)
        self.assertTrue(mask.IsA("vtkMRMLLabelMapVolumeNode"))
        frames = []
        mask.AddObserver(IMAGE_DATA_MODIFIED_EVENT, lambda caller, event: frames.append(
            controller.on_frame({k: caller.GetAttribute(k) for k in caller.GetAttributeNames()})))
        connector.receiveImage("Image_Reference_seg", np.ones((1, 4, 4)), FRAME_TO_RAS,
                               {"FrameIndex": "17", "DroppedFrames": "4", "LatencyMs": "92.4", "Score": "0.87",
                                "Tracking": "Tracking", "Model": "sam-med2d"})
        tick(connector)
        self.assertIs(self.scene.GetFirstNodeByName("Image_Reference_seg"), mask, "the connector updates our labelmap")
        self.assertEqual(controller.frame.frame_index, 17)
        self.assertIn("latency 92 ms", controller.summary())

        controller.stop()
        stop = connector.commands[-1]
        self.assertEqual((stop.name, json.loads(stop.content)), ("StopStream", {"Device": "Image_Reference"}))
        connector.answer(stop, {"Status": "SUCCESS"})
        tick(connector)
        self.assertEqual(controller.state, live_stream.IDLE)
