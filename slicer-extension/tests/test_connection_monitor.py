import unittest

from SlicerBridgeLib.connection_monitor import ConnectionMonitor
from SlicerBridgeLib.pending import PendingRequests


class ConnectionMonitorTests(unittest.TestCase):
    def setUp(self):
        self.edges = []
        self.monitor = ConnectionMonitor(lambda: self.edges.append("up"),
                                         lambda reason: self.edges.append(("down", reason)))

    def test_an_outage_is_seen_by_the_poll_and_the_late_events_add_nothing(self):
        m = self.monitor
        m.polled(True)
        m.connected_event()  # the first ConnectedEvent, delivered after the poll saw the link
        m.polled(False)  # server gone: the connector delivers no event now
        m.polled(False)
        m.polled(True)  # server back
        m.disconnected_event()  # ...and only now the queued events arrive, in order
        m.connected_event()
        self.assertEqual(self.edges, ["up", ("down", "the connection to the server was lost"), "up"])

    def test_an_outage_between_two_polls_is_caught_by_the_late_disconnected_event(self):
        m = self.monitor
        m.polled(True)
        m.polled(True)  # down and up again between these polls
        m.disconnected_event()
        m.connected_event()
        self.assertEqual(self.edges, ["up", ("down", "the connection to the server was lost"), "up"])

    def test_two_outages_with_only_the_first_polled(self):
        m = self.monitor
        m.polled(True)
        m.polled(False)
        m.polled(True)  # second outage happens unseen before the events are delivered
        m.disconnected_event()  # the first one: already handled
        m.disconnected_event()  # the second one: a new server session
        m.connected_event()
        m.connected_event()
        self.assertEqual(self.edges, ["up", ("down", "the connection to the server was lost"), "up",
                                      ("down", "the connection to the server was lost"), "up"])

    def test_events_alone_work_too(self):
        m = self.monitor
        m.connected_event()
        m.polled(True)
        self.assertEqual(self.edges, ["up"])

    def test_stopping_is_a_down_edge_with_its_own_reason(self):
        self.monitor.polled(True)
        self.monitor.stopped()
        self.monitor.stopped()
        self.assertEqual(self.edges, ["up", ("down", "disconnected")])


class PendingRequestTests(unittest.TestCase):
    def test_expired_entries_come_out_oldest_first_and_only_once(self):
        p = PendingRequests()
        p.add(1, 10.0, "a")
        p.add(2, 5.0, "b")
        p.add(3, 20.0, "c")
        self.assertEqual(p.pop_expired(4.9), [])
        self.assertEqual(p.pop_expired(10.0), [(2, "b"), (1, "a")])
        self.assertEqual(p.pop_expired(10.0), [])
        self.assertIn(3, p)
        self.assertEqual(p.pop(3), "c")
        self.assertIsNone(p.pop(3))
        self.assertEqual(len(p), 0)

    def test_pop_all(self):
        p = PendingRequests()
        p.add("x", 1.0, 1)
        self.assertEqual(p.pop_all(), [("x", 1)])
        self.assertEqual(p.pop_all(), [])


if __name__ == "__main__":
    unittest.main()
