import unittest

from SlicerBridgeLib import settings
from SlicerBridgeLib.settings import ConnectionSettings, SettingsError


class SettingsTests(unittest.TestCase):
    def test_defaults_are_valid(self):
        s = ConnectionSettings().validated()
        self.assertEqual((s.host, s.port), ("127.0.0.1", 18944))

    def test_hosts(self):
        self.assertEqual(settings.validate_host(" localhost "), "localhost")
        self.assertEqual(settings.validate_host("gpu-box.example.org"), "gpu-box.example.org")
        self.assertEqual(settings.validate_host("10.0.0.7"), "10.0.0.7")
        for bad in ("", "  ", "bad host", "-lead.example", "300.1.1.1", "a..b", "x" * 254):
            with self.assertRaises(SettingsError, msg=bad):
                settings.validate_host(bad)

    def test_ipv6_addresses_are_refused_because_the_client_socket_is_ipv4_only(self):
        for host in ("::1", "[::1]", "fe80::1", "::ffff:127.0.0.1", "[2001:db8::5]"):
            with self.assertRaisesRegex(SettingsError, "IPv4-only.*127.0.0.1", msg=host):
                settings.validate_host(host)

    def test_ports(self):
        self.assertEqual(settings.validate_port("18944"), 18944)
        self.assertEqual(settings.validate_port(1), 1)
        self.assertEqual(settings.validate_port(65535), 65535)
        for bad in (0, 65536, -1, "http", "", 1.5, True, None):
            with self.assertRaises(SettingsError, msg=repr(bad)):
                settings.validate_port(bad)

    def test_timeouts(self):
        self.assertEqual(settings.validate_timeout("2.5"), 2.5)
        for bad in (0, 0.1, 4000, float("nan"), "soon", None):
            with self.assertRaises(SettingsError, msg=repr(bad)):
                settings.validate_timeout(bad)

    def test_model_names(self):
        self.assertEqual(settings.validate_model_name(""), "")
        self.assertEqual(settings.validate_model_name("sam-med3d"), "sam-med3d")
        for bad in ("a b", "-x", "x" * 65, 3):
            with self.assertRaises(SettingsError, msg=repr(bad)):
                settings.validate_model_name(bad)

    def test_error_message_names_the_setting(self):
        with self.assertRaisesRegex(SettingsError, "port 70000 is out of range"):
            ConnectionSettings(port=70000).validated()


if __name__ == "__main__":
    unittest.main()
