import unittest

import numpy as np

from SlicerBridgeLib import prompts
from SlicerBridgeLib.prompt_session import PromptSession

ROI_A = {"center": [0, 0, 0], "size": [1, 1, 1]}
ROI_B = {"center": [1, 0, 0], "size": [1, 1, 1]}
KEY_EMPTY = prompts.point_set_key([], [])
KEY_A = prompts.point_set_key([[1, 2, 3]], [])
KEY_B = prompts.point_set_key([[1, 2, 3], [4, 5, 6]], [])


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

    def test_undo_point_pops_the_newest_placed_point_that_still_exists(self):
        for entry in (("pos", "a"), ("neg", "b"), ("pos", "c"), ("pos", "d")):
            self.session.record_placed(*entry)
        deleted_by_hand = {("pos", "d")}
        exists = lambda key, pid: (key, pid) not in deleted_by_hand
        self.assertEqual([self.session.pop_last_placed(exists) for _ in range(4)],
                         [("pos", "c"), ("neg", "b"), ("pos", "a"), None])

    def test_new_segment_clears_the_history_and_reset_keeps_the_baseline(self):
        base, _ = self.session.baseline_for("S1", self.capture)
        self.session.record_placed("pos", "1")
        self.session.reset_points()
        self.assertEqual(self.session.placed_count, 0)
        self.assertIs(self.session.baseline_for("S1", self.capture)[0], base)
        self.session.record_placed("pos", "2")
        self.session.baseline_for("S2", self.capture)
        self.assertEqual(self.session.placed_count, 0)

    def test_the_prior_goes_once_per_segment_and_server_session_and_only_when_refining(self):
        s = self.session
        s.target_volume("V")
        self.assertFalse(s.needs_prior(True))  # no segment captured yet
        s.baseline_for("S1", self.capture)
        self.assertFalse(s.needs_prior(False))
        self.assertTrue(s.needs_prior(True))
        s.prior_sent()
        self.assertFalse(s.needs_prior(True))
        s.server_session_changed()
        self.assertTrue(s.needs_prior(True))
        s.prior_sent()
        s.reset_points()
        self.assertTrue(s.needs_prior(True))
        s.prior_sent()
        s.baseline_for("S2", self.capture)
        self.assertTrue(s.needs_prior(True))

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
        self.assertEqual(s.prompt_update(0, KEY_EMPTY), prompts.NOTHING_TO_SEND)
        self.assertEqual(s.prompt_update(1, KEY_A), prompts.SEND_POINTS)
        s.points_sent(KEY_A)
        self.assertEqual(s.prompt_update(0, KEY_EMPTY), prompts.SEND_RESET)
        s.reset_points()
        self.assertEqual(s.prompt_update(0, KEY_EMPTY), prompts.NOTHING_TO_SEND)

    def test_an_unchanged_point_set_is_not_sent_again_unless_settings_went_out(self):
        s = self.session
        s.target_volume("V")
        s.points_sent(KEY_A)
        self.assertEqual(s.prompt_update(1, KEY_A), prompts.NOTHING_TO_SEND)
        self.assertEqual(s.prompt_update(2, KEY_B), prompts.SEND_POINTS)
        s.points_stale()  # e.g. a new ROI: the server needs the points again to recompute
        self.assertEqual(s.prompt_update(1, KEY_A), prompts.SEND_POINTS)
        s.points_sent(KEY_A)
        s.server_session_changed()
        self.assertEqual(s.prompt_update(1, KEY_A), prompts.SEND_POINTS)

    def test_new_volume_or_server_session_holds_none_of_our_points(self):
        s = self.session
        s.target_volume("V")
        s.points_sent(KEY_A)
        s.target_volume("W")
        self.assertEqual(s.prompt_update(0, KEY_EMPTY), prompts.NOTHING_TO_SEND)
        s.points_sent(KEY_A)
        s.server_session_changed()
        self.assertEqual(s.prompt_update(0, KEY_EMPTY), prompts.NOTHING_TO_SEND)

    def test_model_selection(self):
        s = self.session
        self.assertFalse(s.model_changed(""))
        self.assertTrue(s.model_changed("sam-med3d"))
        self.assertFalse(s.model_changed("sam-med3d"))
        self.assertTrue(s.model_changed("growcut"))


if __name__ == "__main__":
    unittest.main()
