import unittest

from SlicerBridgeLib import names


class DeviceNameTests(unittest.TestCase):
    def test_short_names_pass_through(self):
        self.assertEqual(names.device_name("MRHead"), "MRHead")

    def test_names_are_cut_at_20_bytes(self):
        self.assertEqual(names.device_name("A" * 25), "A" * 20)
        self.assertFalse(names.fits_device_name("A" * 21))
        self.assertTrue(names.fits_device_name("A" * 20))

    def test_result_name_uses_first_16_chars(self):
        self.assertEqual(names.result_device_name("MRHead"), "MRHead_seg")
        self.assertEqual(names.result_device_name("ABCDEFGHIJKLMNOPQRSTUV"), "ABCDEFGHIJKLMNOP_seg")
        self.assertEqual(len(names.result_device_name("x" * 40)), 20)

    def test_point_polarity_by_name(self):
        self.assertTrue(names.is_negative_point("-1"))
        self.assertFalse(names.is_negative_point("1"))
        self.assertTrue(names.is_negative_device("PromptNeg-"))
        self.assertFalse(names.is_negative_device("PromptPos"))

    def test_bad_names_raise(self):
        with self.assertRaisesRegex(ValueError, "non-ASCII"):
            names.device_name("Schädel")
        with self.assertRaisesRegex(ValueError, "empty"):
            names.device_name("")
        with self.assertRaises(TypeError):
            names.device_name(None)
        self.assertFalse(names.fits_device_name("Schädel"))


if __name__ == "__main__":
    unittest.main()
