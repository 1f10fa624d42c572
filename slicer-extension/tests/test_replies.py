import unittest

from SlicerBridgeLib import replies
from SlicerBridgeLib.replies import ReplyError


class CommandReplyTests(unittest.TestCase):
    def test_success(self):
        r = replies.parse_command_reply(7, "ListModels", {"Status": "SUCCESS"},
                                        b'{"default": "growcut", "models": [{"name": "growcut"}]}')
        self.assertTrue(r.success)
        self.assertEqual(r.error_message, "")
        self.assertEqual(replies.parse_models(r.result), ("growcut", ["growcut"]))

    def test_failure_uses_error_message_metadata_then_content(self):
        r = replies.parse_command_reply(1, "Segment", {"Status": "FAIL", "ErrorMessage": "unknown volume 'X'"},
                                        '{"error": "other"}')
        self.assertFalse(r.success)
        self.assertEqual(r.error_message, "unknown volume 'X'")
        r = replies.parse_command_reply(1, "Segment", {"Status": "FAIL"}, '{"error": "no positive point"}')
        self.assertEqual(r.error_message, "no positive point")
        r = replies.parse_command_reply(1, "Segment", {"Status": "FAIL"}, "")
        self.assertEqual(r.error_message, "Segment failed without an error message")

    def test_malformed_replies_raise(self):
        with self.assertRaisesRegex(ReplyError, "no valid Status"):
            replies.parse_command_reply(1, "GetStatus", {}, "{}")
        with self.assertRaisesRegex(ReplyError, "not JSON"):
            replies.parse_command_reply(1, "GetStatus", {"Status": "SUCCESS"}, "{oops")
        with self.assertRaisesRegex(ReplyError, "not an object"):
            replies.parse_command_reply(1, "GetStatus", {"Status": "SUCCESS"}, "[1]")
        with self.assertRaisesRegex(ReplyError, "models"):
            replies.parse_models({})
        with self.assertRaisesRegex(ReplyError, "without a name"):
            replies.parse_models({"models": [{"description": "x"}]})


class ResultMetadataTests(unittest.TestCase):
    def test_node_attributes(self):
        info = replies.parse_result_metadata({
            "OpenIGTLink.RequestId": "MRHead#3", "OpenIGTLink.Model": "growcut", "OpenIGTLink.QueueMs": "0.4",
            "OpenIGTLink.InferMs": "123.5", "OpenIGTLink.TotalMs": "130.0", "OpenIGTLink.PostMs": "garbage",
            "OpenIGTLink.PrepareMs": "-1"})
        self.assertEqual(info.request_id, "MRHead#3")
        self.assertEqual(info.timings_ms, {"QueueMs": 0.4, "InferMs": 123.5, "TotalMs": 130.0})
        self.assertEqual(info.summary(), "growcut, queue 0.4 ms, infer 123.5 ms, total 130.0 ms")

    def test_raw_wire_keys_and_missing_values(self):
        info = replies.parse_result_metadata({"TotalMs": "12.0"})
        self.assertEqual((info.request_id, info.model, info.timings_ms), ("", "", {"TotalMs": 12.0}))
        self.assertEqual(replies.parse_result_metadata(None).summary(), "no timing information")


class FeatureTests(unittest.TestCase):
    def test_features_are_the_listed_strings(self):
        self.assertEqual(replies.parse_features({"features": ["prior", 3, "x"]}), {"prior", "x"})

    def test_a_server_without_the_list_has_no_features(self):
        for result in ({}, {"features": "prior"}, None):
            self.assertEqual(replies.parse_features(result), frozenset())


class StatusTextTests(unittest.TestCase):
    def test_describe(self):
        self.assertEqual(replies.describe_status(13, "NotReady", "no positive point"),
                         "Server: not ready (no positive point)")
        self.assertEqual(replies.describe_status(99, "", ""), "Server: status 99")

    def test_summarise_get_status(self):
        text = replies.summarise_status({"version": "0.1", "device": "cpu", "queue": {"pending": 2},
                                         "sessions": 1, "cache": {"usedBytes": 2**21, "budgetBytes": 2**30}})
        self.assertEqual(text, "version 0.1, device cpu, 2 queued, 1 session(s), cache 2/1024 MiB")
        self.assertEqual(replies.summarise_status({}), "connected")


if __name__ == "__main__":
    unittest.main()
