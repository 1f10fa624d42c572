import unittest

import numpy as np

from SlicerBridgeLib import names, prompts


class PromptElementTests(unittest.TestCase):
    def test_one_list_with_negatives_named_by_a_leading_minus(self):
        elements = prompts.prompt_point_elements([[1, 2, 3], [4, 5, 6]], [[7, 8, 9]])
        self.assertEqual(elements, [("1", (1.0, 2.0, 3.0)), ("2", (4.0, 5.0, 6.0)), ("-1", (7.0, 8.0, 9.0))])
        self.assertEqual([names.is_negative_point(name) for name, _ in elements], [False, False, True])

    def test_empty_sets(self):
        self.assertEqual(prompts.prompt_point_elements(np.zeros((0, 3)), []), [])
        self.assertEqual(prompts.prompt_point_elements([], [[0, 0, 1]]), [("-1", (0.0, 0.0, 1.0))])

    def test_non_finite_points_raise(self):
        with self.assertRaisesRegex(ValueError, "not finite"):
            prompts.prompt_point_elements([[np.nan, 0, 0]], [])

    def test_the_prompt_device_is_not_a_negative_device(self):
        self.assertTrue(names.fits_device_name(names.PROMPT_NODE_NAME))
        self.assertFalse(names.is_negative_device(names.PROMPT_NODE_NAME))


class PromptPlanTests(unittest.TestCase):
    def test_positive_points_are_sent(self):
        self.assertEqual(prompts.plan_prompt_update(1, False), prompts.SEND_POINTS)
        self.assertEqual(prompts.plan_prompt_update(3, True), prompts.SEND_POINTS)

    def test_deleting_the_last_positive_point_resets_the_server(self):
        self.assertEqual(prompts.plan_prompt_update(0, True), prompts.SEND_RESET)

    def test_nothing_is_sent_when_the_server_holds_no_points_of_ours(self):
        self.assertEqual(prompts.plan_prompt_update(0, False), prompts.NOTHING_TO_SEND)

    def test_a_set_the_server_already_holds_is_not_sent_again(self):
        self.assertEqual(prompts.plan_prompt_update(2, True, unchanged=True), prompts.NOTHING_TO_SEND)
        self.assertEqual(prompts.plan_prompt_update(2, False, unchanged=True), prompts.SEND_POINTS)


class PointSetKeyTests(unittest.TestCase):
    def test_equal_sets_have_equal_keys_and_polarity_counts(self):
        a = prompts.point_set_key([[1, 2, 3]], [[4, 5, 6]])
        self.assertEqual(a, prompts.point_set_key(np.array([[1.0, 2.0, 3.0]]), [[4, 5, 6]]))
        self.assertNotEqual(a, prompts.point_set_key([[1, 2, 3], [4, 5, 6]], []))
        self.assertNotEqual(a, prompts.point_set_key([[1, 2, 3.5]], [[4, 5, 6]]))
        self.assertEqual(prompts.point_set_key([], []), prompts.point_set_key(np.zeros((0, 3)), []))


if __name__ == "__main__":
    unittest.main()
