import json
import unittest

from SlicerBridgeLib import geometry, requests


class RequestTests(unittest.TestCase):
    def setUp(self):
        self.builder = requests.RequestBuilder()

    def test_ids_increment_across_command_kinds(self):
        ids = [self.builder.get_status().command_id, self.builder.list_models().command_id,
               self.builder.undo("MRHead").command_id]
        self.assertEqual(ids, [1, 2, 3])

    def test_segment_content(self):
        roi = geometry.roi_from_center_size_axes([5, -20, 30], [60, 60, 60])
        r = self.builder.segment(volume="MRHead", model="growcut", output="MRHead_seg", request_id="r1",
                                 points=[((5, -20, 30), True), ((1.5, 2, 3), False)], roi=roi)
        self.assertEqual(r.name, "Segment")
        self.assertEqual(r.payload, {
            "volume": "MRHead", "model": "growcut", "output": "MRHead_seg", "requestId": "r1",
            "points": [{"ras": [5.0, -20.0, 30.0], "label": 1}, {"ras": [1.5, 2.0, 3.0], "label": 0}],
            "roi": {"center": [5.0, -20.0, 30.0], "size": [60.0, 60.0, 60.0],
                    "axes": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}})

    def test_segment_without_fields_is_an_empty_object(self):
        self.assertEqual(self.builder.segment().content, "{}")

    def test_roi_commands(self):
        roi = geometry.roi_from_center_size_axes([0, 0, 0], [10, 10, 10])
        self.assertEqual(self.builder.set_roi(roi, volume="CT").payload["volume"], "CT")
        cleared = self.builder.clear_roi()
        self.assertEqual((cleared.name, cleared.payload), ("SetRoi", {"clear": True}))

    def test_simple_commands(self):
        self.assertEqual(self.builder.reset("V").payload, {"volume": "V"})
        self.assertEqual(self.builder.undo().payload, {})
        self.assertEqual(self.builder.list_models().payload, {})
        self.assertEqual(self.builder.get_status().name, "GetStatus")
        self.assertEqual(self.builder.set_model("sam-med3d").payload, {"model": "sam-med3d"})
        self.assertEqual(self.builder.set_target("V").payload, {"volume": "V"})
        for r in (self.builder.reset(), self.builder.undo()):
            self.assertIn(r.name, requests.COMMAND_NAMES)

    def test_content_is_compact_ascii_json(self):
        r = self.builder.segment(volume="V", points=[((1, 2, 3), True)])
        self.assertNotIn(" ", r.content)
        self.assertEqual(json.loads(r.content)["points"][0]["label"], 1)

    def test_bad_input_raises(self):
        with self.assertRaisesRegex(ValueError, "prompt point 0"):
            self.builder.segment(points=[((float("nan"), 0, 0), True)])
        with self.assertRaisesRegex(ValueError, "prompt point 1"):
            self.builder.segment(points=[((0, 0, 0), True), ((0, 0), True)])
        with self.assertRaises(TypeError):
            self.builder.set_roi({"center": [0, 0, 0]})
        with self.assertRaisesRegex(ValueError, "model name"):
            self.builder.set_model("")
        with self.assertRaisesRegex(ValueError, "65535"):
            self.builder.segment(points=[((i, i, i), True) for i in range(3000)])
        with self.assertRaises(ValueError):
            requests.RequestBuilder(first_id=-1)

    def test_failed_build_does_not_consume_an_id(self):
        with self.assertRaises(ValueError):
            self.builder.segment(points=[((i, i, i), True) for i in range(3000)])
        self.assertEqual(self.builder.get_status().command_id, 1)


if __name__ == "__main__":
    unittest.main()
