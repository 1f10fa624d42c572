import unittest

from SlicerBridgeLib.connection_wait import ConnectionWaiters


class ConnectionWaitersTests(unittest.TestCase):
    def setUp(self):
        self.waiters = ConnectionWaiters()
        self.events = []

    def add(self, tag):
        return self.waiters.add(lambda: self.events.append(("ok", tag)),
                                lambda message: self.events.append(("failed", tag, message)))

    def test_connection_serves_every_waiter_once(self):
        self.add("a")
        self.add("b")
        self.waiters.connected()
        self.waiters.connected()
        self.assertEqual(self.events, [("ok", "a"), ("ok", "b")])
        self.assertEqual(self.waiters.pending, 0)

    def test_expiry_fails_only_that_waiter_and_only_if_not_served(self):
        a = self.add("a")
        b = self.add("b")
        self.waiters.expire(a, "too slow")
        self.waiters.connected()
        self.waiters.expire(b, "too slow")
        self.assertEqual(self.events, [("failed", "a", "too slow"), ("ok", "b")])

    def test_fail_all_and_a_failing_callback_does_not_stop_the_others(self):
        self.waiters.add(lambda: 1 / 0, lambda message: 1 / 0)
        self.add("b")
        with self.assertLogs(level="ERROR"):
            self.waiters.fail_all("disconnected")
        self.assertEqual(self.events, [("failed", "b", "disconnected")])


if __name__ == "__main__":
    unittest.main()
