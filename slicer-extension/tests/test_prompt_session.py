import unittest

import numpy as np

from SlicerBridgeLib import prompts
from SlicerBridgeLib.prompt_session import PromptSession

ROI_A = {"center": [0, 0, 0], "size": [1, 1, 1]}
ROI_B = {"center": [1, 0, 0], "size": [1, 1, 1]}


class PromptSessionTests(unittest.TestCase):
    def setUp(self):
        self.session = PromptSession()
        self.captures = 0

    def capture(self):
        self.captures += 1
        return np.full((2, 2), self.captures, dtype=np.uint8)

    def test_baseline_is_captured_once_per_segment(self):
        first, started = self.session.baseline_for("S1", self.capture)
        self.assertTrue(started)
        again, started = self.session.baseline_for("S1", self.capture)
        self.assertFalse(started)
        self.assertIs(again, first)
        other, started = self.session.baseline_for("S2", self.capture)
        self.assertTrue(started)
        self.assertEqual(int(other[0, 0]), 2)

    def test_a_missing_segment_mask_is_captured_again(self):
        self.session.baseline_for("S1", lambda: None)
        _, started = self.session.baseline_for("S1", self.capture)
        self.assertTrue(started)

    def test_undo_mirrors_the_point_history(self):
        for positive in (True, False, True):
            self.session.record_point(positive)
        self.assertEqual([self.session.undo_point() for _ in range(4)], [True, False, True, None])

    def test_new_segment_clears_the_history_and_reset_keeps_the_baseline(self):
        base, _ = self.session.baseline_for("S1", self.capture)
        self.session.record_point(True)
        self.session.reset_points()
        self.assertEqual(self.session.point_count, 0)
        self.assertIs(self.session.baseline_for("S1", self.capture)[0], base)
        self.session.record_point(True)
        self.session.baseline_for("S2", self.capture)
        self.assertEqual(self.session.point_count, 0)

    def test_roi_is_sent_only_when_it_differs_from_the_servers(self):
        s = self.session
        s.target_volume("V")
        self.assertFalse(s.roi_changed(None))  # nothing to clear
        self.assertTrue(s.roi_changed(ROI_A))
        self.assertFalse(s.roi_changed(dict(ROI_A)))
        self.assertTrue(s.roi_changed(ROI_B))
        self.assertTrue(s.roi_changed(None))  # clearing an ROI the server holds
        self.assertFalse(s.roi_changed(None))

    def test_reset_and_volume_switch_forget_the_servers_roi(self):
        s = self.session
        s.target_volume("V")
        s.roi_changed(ROI_A)
        s.reset_points()
        self.assertTrue(s.roi_changed(ROI_A))
        s.target_volume("V")
        self.assertFalse(s.roi_changed(ROI_A))
        s.target_volume("W")
        self.assertTrue(s.roi_changed(ROI_A))

    def test_a_new_server_session_needs_roi_and_model_again(self):
        s = self.session
        s.target_volume("V")
        s.roi_changed(ROI_A)
        s.model_changed("growcut")
        s.server_session_changed()
        self.assertTrue(s.roi_changed(ROI_A))
        self.assertTrue(s.model_changed("growcut"))

    def test_deleting_all_positive_points_resets_only_when_the_server_holds_ours(self):
        s = self.session
        s.target_volume("V")
        self.assertEqual(s.prompt_update(0), prompts.NOTHING_TO_SEND)
        self.assertEqual(s.prompt_update(1), prompts.SEND_POINTS)
        s.points_sent()
        self.assertEqual(s.prompt_update(0), prompts.SEND_RESET)
        s.reset_points()
        self.assertEqual(s.prompt_update(0), prompts.NOTHING_TO_SEND)

    def test_new_volume_or_server_session_holds_none_of_our_points(self):
        s = self.session
        s.target_volume("V")
        s.points_sent()
        s.target_volume("W")
        self.assertEqual(s.prompt_update(0), prompts.NOTHING_TO_SEND)
        s.points_sent()
        s.server_session_changed()
        self.assertEqual(s.prompt_update(0), prompts.NOTHING_TO_SEND)

    def test_model_selection(self):
        s = self.session
        self.assertFalse(s.model_changed(""))
        self.assertTrue(s.model_changed("sam-med3d"))
        self.assertFalse(s.model_changed("sam-med3d"))
        self.assertTrue(s.model_changed("growcut"))


if __name__ == "__main__":
    unittest.main()
