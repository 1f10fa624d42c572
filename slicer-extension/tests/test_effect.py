"""The Segment Editor effect's controller driven through fakes of the connector, markups, interaction
node and the scripted effect API (slicer_fakes, effect_fakes)."""
import json
import unittest

import numpy as np

from . import effect_fakes, slicer_fakes
from .effect_fakes import FakeScriptedEffect, FakeSegmentationNode, FakeSegmentEditorNode, FakeView, oriented
from .slicer_fakes import FakeVolumeNode, tick
from SlicerBridgeLib.settings import ConnectionSettings

SHAPE = (6, 8, 10)  # K, J, I
IJK_TO_RAS = np.array([[-1.0, 0, 0, 20.0], [0, -1.0, 0, 30.0], [0, 0, 2.0, -5.0], [0, 0, 0, 1]])
INSIDE = (15.0, 26.0, -1.0)  # RAS of voxel i=5, j=4, k=2
OUTSIDE = (12.0, 24.0, 3.0)


def ras(i, j, k):
    return tuple(IJK_TO_RAS[:3, :3] @ [i, j, k] + IJK_TO_RAS[:3, 3])


class EffectTestCase(unittest.TestCase):
    features = ("prior",)

    def setUp(self):
        holder = {}
        self.scene = slicer_fakes.install(lambda s, v, q: holder.update(nodes=effect_fakes.install_effect_fakes(s, v, q)))
        self.addCleanup(slicer_fakes.uninstall)
        self.interactionNode, self.selectionNode = holder["nodes"]
        import SlicerBridge
        from SegmentEditorSlicerBridgeLib import prompt_controller
        self.pc = prompt_controller
        self.logic = SlicerBridge.getSharedLogic()
        self.logic.connect(ConnectionSettings("127.0.0.1", 18944, 30.0))
        self.connector = self.logic.connectorNode()
        tick(self.connector)
        self.answerStatus()
        self.volume = self.scene.AddNode(FakeVolumeNode("MRHead", np.zeros(SHAPE, np.int16), IJK_TO_RAS))
        self.s1 = np.zeros(SHAPE, np.uint8)
        self.s1[2, 4, 5:7] = 1
        self.segmentation = self.scene.AddNode(FakeSegmentationNode("Seg", {"S1": self.s1.copy(),
                                                                             "S2": np.zeros(SHAPE, np.uint8)}))
        self.editorNode = FakeSegmentEditorNode(self.segmentation, self.volume, "S1")
        self.effect = FakeScriptedEffect(self.editorNode)
        self.effect.sourceImage = oriented(np.zeros(SHAPE, np.int16), IJK_TO_RAS)
        self.view = FakeView()
        self.controller = prompt_controller.PromptController(self.effect, self.view)
        for name, value in ((prompt_controller.PARAM_MERGE_MODE, "replace"), (prompt_controller.PARAM_AUTO_UPDATE, 1),
                            (prompt_controller.PARAM_REFINE, 0)):
            self.effect.setParameterDefault(name, value)
        effect_fakes.relay_interaction_node(self.interactionNode, self.controller)
        self.controller.activate()
        self.positive, self.negative = self.controller.promptNodes()

    def answerStatus(self):
        status = [c for c in self.connector.commands if c.name == "GetStatus"][-1]
        self.connector.answer(status, {"Status": "SUCCESS"}, json.dumps({"features": list(self.features)}))
        tick(self.connector)

    def sent(self, kind=None):
        return [s for s in self.connector.sent if kind is None or s[0] == kind]

    def serverResult(self, mask, metadata=None):
        self.connector.receiveImage("MRHead_seg", mask, IJK_TO_RAS, metadata or {"RequestId": "MRHead#1"})
        tick(self.connector)


class PlacementTests(EffectTestCase):
    def test_activation_starts_positive_placement_and_the_effect_stays_active(self):
        self.assertEqual(self.interactionNode.mode, self.interactionNode.Place)
        self.assertEqual(self.selectionNode.placeNodeId, self.positive.GetID())
        self.assertEqual(self.selectionNode.placeClass, "vtkMRMLMarkupsFiducialNode")
        self.assertEqual(self.interactionNode.persistence, 1)
        self.assertEqual(self.view.placing, self.pc.POSITIVE)
        self.assertEqual(self.effect.selectedEffects, [])

    def test_placing_some_other_markup_leaves_the_effect_as_the_base_effect_does(self):
        self.interactionNode.SetCurrentInteractionMode(self.interactionNode.ViewTransform)
        self.assertEqual((self.view.placing, self.effect.selectedEffects), (None, []))
        other = self.scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "F")
        self.selectionNode.SetActivePlaceNodeID(other.GetID())
        self.interactionNode.SetCurrentInteractionMode(self.interactionNode.Place)
        self.assertEqual(self.effect.selectedEffects, [""])

    def test_keys_switch_polarity_and_clicks_are_left_to_the_markups_widgets(self):
        interactor = type("I", (), {"GetKeySym": lambda self: "n"})()
        vtkCommand = __import__("vtk").vtkCommand
        self.assertFalse(self.controller.processInteractionEvents(interactor, vtkCommand.LeftButtonPressEvent, None))
        self.assertTrue(self.controller.processInteractionEvents(interactor, vtkCommand.KeyPressEvent, None))
        self.assertEqual(self.selectionNode.placeNodeId, self.negative.GetID())
        self.assertEqual(self.view.placing, self.pc.NEGATIVE)

    def test_the_preview_point_sends_nothing_and_a_click_segments_once(self):
        for x in (10.0, 11.0, 12.0):
            self.positive.hover((x, 26.0, -1.0))
        tick(self.connector)
        self.assertEqual(self.sent(), [])
        self.positive.click(INSIDE)
        tick(self.connector)
        self.assertEqual([s[:2] for s in self.sent()], [("IMAGE", "MRHead"), ("POINT", "SBPrompts")])
        self.assertEqual(self.sent("POINT")[-1][2], [("1", INSIDE)])
        self.assertTrue(self.view.busy)
        self.positive.hover((0.0, 0.0, 0.0))  # the next preview point
        tick(self.connector)
        self.assertEqual(len(self.sent("POINT")), 1)

    def test_dragging_an_existing_point_resegments_once_with_its_final_position(self):
        index = self.positive.click(INSIDE)
        tick(self.connector)
        moved = ras(6, 4, 2)
        self.positive.drag(index, ras(5.5, 4, 2), moved)
        tick(self.connector)
        points = self.sent("POINT")
        self.assertEqual(len(points), 2)
        self.assertEqual(points[-1][2], [("1", moved)])

    def test_negative_points_travel_in_the_same_message(self):
        self.positive.click(INSIDE)
        self.negative.click(OUTSIDE)
        tick(self.connector)
        self.assertEqual(self.sent("POINT")[-1][2], [("1", INSIDE), ("-1", OUTSIDE)])

    def test_undo_point_removes_the_newest_point_and_resegments(self):
        self.positive.click(INSIDE)
        self.negative.click(OUTSIDE)
        tick(self.connector)
        self.controller.onUndoPoint()
        tick(self.connector)
        self.assertEqual(self.negative.definedPoints(), [])
        self.assertEqual(self.sent("POINT")[-1][2], [("1", INSIDE)])
        self.controller.onUndoPoint()  # the last positive point: the server must drop ours
        tick(self.connector)
        self.assertEqual(self.connector.commands[-1].name, "Reset")

    def test_a_point_for_another_segment_starts_over_with_that_segment(self):
        self.positive.click(INSIDE)
        tick(self.connector)
        self.editorNode.selected = "S2"
        self.positive.click(ras(2, 2, 2))
        tick(self.connector)
        self.assertEqual(self.sent("POINT")[-1][2], [("1", ras(2, 2, 2))])
        self.serverResult(np.ones(SHAPE))
        self.assertEqual(self.effect.modifications[-1][1], "S2")

    def test_no_segment_selected_is_a_message_not_an_exception(self):
        self.editorNode.selected = None
        with self.assertLogs(level="ERROR"):  # reported in the panel and logged, never raised
            self.positive.click(INSIDE)
            tick(self.connector)
        self.assertIn("Select a segment", self.view.error)
        self.assertEqual(self.sent(), [])


class ResultTests(EffectTestCase):
    def test_the_result_goes_through_the_modify_path_into_the_prompts_segment_without_copies(self):
        self.positive.click(INSIDE)
        tick(self.connector)
        self.editorNode.selected = "S2"  # selected meanwhile: the result still belongs to S1
        result = np.zeros(SHAPE)
        result[1:4, 2:6, 3:8] = 1
        self.serverResult(result, {"RequestId": "MRHead#1", "Model": "growcut", "TotalMs": "12.5"})
        (segmentationNode, segmentId, labelmap, mode), = self.effect.modifications
        self.assertEqual((segmentationNode, segmentId, mode), (self.segmentation, "S1", FakeScriptedEffect.ModificationModeSet))
        resultNode = self.scene.GetFirstNode("MRHead_seg", "vtkMRMLLabelMapVolumeNode")
        self.assertIs(labelmap.array, resultNode.GetImageData().array)  # shared, not copied
        np.testing.assert_allclose(labelmap.matrix, IJK_TO_RAS)
        self.assertEqual(self.effect.undoStates, 1)
        self.assertEqual(FakeResample_calls(), [])
        self.assertFalse(self.view.busy)
        self.assertIn("growcut", self.view.progress)

    def test_add_and_subtract_merge_with_the_segment_as_it_was_before_the_first_point(self):
        self.effect.setParameter(self.pc.PARAM_MERGE_MODE, "add")
        self.positive.click(INSIDE)
        tick(self.connector)
        result = np.zeros(SHAPE)
        result[0, 0, 0] = 1
        self.serverResult(result)
        np.testing.assert_array_equal(self.segmentation.segments["S1"], self.s1 | result.astype(np.uint8))
        result2 = np.zeros(SHAPE)
        result2[5, 7, 9] = 1
        self.serverResult(result2)  # the next result replaces the previous one, on the same baseline
        np.testing.assert_array_equal(self.segmentation.segments["S1"], self.s1 | result2.astype(np.uint8))
        self.effect.setParameter(self.pc.PARAM_MERGE_MODE, "subtract")
        self.serverResult(self.s1)
        self.assertEqual(int(self.segmentation.segments["S1"].sum()), 0)

    def test_the_labelmap_is_expressed_in_the_segmentations_frame(self):
        volumeToWorld, segmentationToWorld = np.eye(4), np.eye(4)
        volumeToWorld[:3, 3] = [5, 0, 0]
        segmentationToWorld[:3, 3] = [0, 7, 0]
        self.volume.parentTransform = slicer_fakes.FakeTransformNode("V", volumeToWorld)
        self.segmentation.parentTransform = slicer_fakes.FakeTransformNode("S", segmentationToWorld)
        expected = np.linalg.inv(segmentationToWorld) @ volumeToWorld @ IJK_TO_RAS
        self.effect.sourceImage = oriented(np.zeros(SHAPE, np.int16), expected)
        world = tuple(np.asarray(INSIDE) + [5, 0, 0])
        self.positive.click(world)
        tick(self.connector)
        self.assertEqual(self.sent("POINT")[-1][2], [("1", INSIDE)])  # sent in the volume's own frame
        self.serverResult(np.ones(SHAPE))
        np.testing.assert_allclose(self.effect.modifications[-1][2].matrix, expected)
        self.assertEqual(FakeResample_calls(), [])

    def test_a_segmentation_on_another_grid_gets_a_resampled_modifier(self):
        self.effect.sourceImage = oriented(np.zeros((3, 4, 5), np.int16), np.diag([2.0, 2.0, 4.0, 1.0]))
        self.positive.click(INSIDE)
        tick(self.connector)
        self.serverResult(np.ones(SHAPE))
        self.assertEqual(len(FakeResample_calls()), 1)
        self.assertEqual(self.effect.modifications[-1][2].array.shape, (3, 4, 5))

    def test_a_missing_result_ends_the_wait_with_a_message(self):
        self.positive.click(INSIDE)
        tick(self.connector)
        self.assertTrue(self.view.busy)
        tick(self.connector, 31.0)
        self.controller._resultTimer.fire()  # the single-shot timer after 30 s
        self.assertIn("No result from the server within 30 s", self.view.error)
        self.assertFalse(self.view.busy)


class RoiTests(EffectTestCase):
    def test_an_roi_being_placed_is_ignored_until_it_has_a_size(self):
        self.positive.click(INSIDE)
        tick(self.connector)
        self.controller.startPlacing(self.pc.ROI)  # creates the ROI and keeps the effect active
        roi = self.view.roi
        self.assertIsNotNone(roi)
        self.assertEqual(self.selectionNode.placeNodeId, roi.GetID())
        self.assertEqual(self.effect.selectedEffects, [])
        self.controller.onRoiChanged(roi)
        roi.placeFirstCorner(INSIDE)
        tick(self.connector)
        self.assertEqual([c.name for c in self.connector.commands if c.name == "SetRoi"], [])
        self.assertEqual(self.view.errors, [])
        roi.place(INSIDE, (10.0, 10.0, 10.0))
        tick(self.connector)
        setRoi = [c for c in self.connector.commands if c.name == "SetRoi"]
        self.assertEqual(len(setRoi), 1)
        self.assertEqual(json.loads(setRoi[0].content)["size"], [10.0, 10.0, 10.0])
        self.assertEqual(len(self.sent("POINT")), 2)  # the same points again: the server recomputes on POINT
        roi.resize((12.0, 10.0, 10.0))  # a handle drag
        tick(self.connector)
        self.assertEqual(len([c for c in self.connector.commands if c.name == "SetRoi"]), 2)


    def test_removing_the_roi_clears_it_on_the_server_and_resegments(self):
        roi = self.scene.AddNewNodeByClass("vtkMRMLMarkupsROINode", "R")
        roi.place(INSIDE, (10.0, 10.0, 10.0))
        self.view.roi = roi
        self.controller.onRoiChanged(roi)
        self.positive.click(INSIDE)
        tick(self.connector)
        self.view.roi = None
        self.controller.onRoiChanged(None)
        tick(self.connector)
        setRoi = [json.loads(c.content) for c in self.connector.commands if c.name == "SetRoi"]
        self.assertEqual(setRoi[-1], {"clear": True, "volume": "MRHead"})
        self.assertEqual(len(self.sent("POINT")), 2)
        roi.resize((5.0, 5.0, 5.0))  # no longer observed
        tick(self.connector)
        self.assertEqual(len(self.sent("POINT")), 2)


class ConnectionTests(EffectTestCase):
    def test_an_outage_stops_the_busy_bar_and_recovery_sends_volume_and_points_again(self):
        self.positive.click(INSIDE)
        tick(self.connector)
        self.assertTrue(self.view.busy)
        self.connector.serverStops()
        tick(self.connector, 1.0)
        self.assertFalse(self.view.busy)
        self.assertIn("lost", self.view.error)
        self.connector.serverStarts()
        tick(self.connector, 1.0)
        self.answerStatus()
        tick(self.connector)
        kinds = [s[:2] for s in self.sent()]
        self.assertEqual(kinds, [("IMAGE", "MRHead"), ("POINT", "SBPrompts")] * 2)
        self.assertTrue(self.view.busy)


class RefineTests(EffectTestCase):
    def test_the_segment_goes_first_as_the_prior_once_per_session(self):
        self.effect.setParameter(self.pc.PARAM_REFINE, 1)
        self.positive.click(INSIDE)
        tick(self.connector)
        self.assertEqual([s[:2] for s in self.sent()],
                         [("IMAGE", "MRHead"), ("IMAGE", "MRHead_prior"), ("POINT", "SBPrompts")])
        array, scalarType, matrix = self.sent()[1][2]
        np.testing.assert_array_equal(array, self.s1)
        self.assertEqual((array.dtype, scalarType), (np.uint8, 3))
        np.testing.assert_allclose(matrix, IJK_TO_RAS)
        self.negative.click(OUTSIDE)
        tick(self.connector)
        self.assertEqual([s[1] for s in self.sent()][3:], ["SBPrompts"])

    def test_recovery_sends_the_prior_again(self):
        self.effect.setParameter(self.pc.PARAM_REFINE, 1)
        self.positive.click(INSIDE)
        tick(self.connector)
        self.connector.serverStops()
        tick(self.connector, 1.0)
        self.connector.serverStarts()
        tick(self.connector, 1.0)
        self.answerStatus()
        tick(self.connector)
        self.assertEqual([s[1] for s in self.sent()], ["MRHead", "MRHead_prior", "SBPrompts"] * 2)

    def test_an_empty_segment_has_nothing_to_refine(self):
        self.effect.setParameter(self.pc.PARAM_REFINE, 1)
        self.editorNode.selected = "S2"
        self.positive.click(INSIDE)
        tick(self.connector)
        self.assertEqual([s[1] for s in self.sent()], ["MRHead", "SBPrompts"])


class RefineWithoutServerSupportTests(EffectTestCase):
    features = ()

    def test_a_server_without_the_prior_feature_is_not_sent_clicks_that_would_replace_the_segment(self):
        self.effect.setParameter(self.pc.PARAM_REFINE, 1)
        with self.assertLogs(level="ERROR"):
            self.positive.click(INSIDE)
            tick(self.connector)
        self.assertIn("cannot start from an existing segment", self.view.error)
        self.assertEqual(self.sent("POINT"), [])


def FakeResample_calls():
    return effect_fakes.FakeResample.calls


if __name__ == "__main__":
    unittest.main()
