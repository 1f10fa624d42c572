"""Knowing whether the server link is up, although the connector does not tell us while it is down.

SlicerOpenIGTLink's logic runs a connector's periodic processing only while that connector is
connected (SlicerOpenIGTLink 3c3d502, `vtkSlicerOpenIGTLinkIFLogic::CallConnectorTimerHander`), and
OpenIGTLinkIO queues ConnectedEvent/DisconnectedEvent from its socket thread and delivers them in that
processing (`igtlioConnector::ImportEventsFromEventBuffer`). So a DisconnectedEvent arrives only after
the link is back, right before the matching ConnectedEvent. The state itself (`GetState()`) is set by
the socket thread at once, so the extension polls it; the late events are still counted so that an
outage shorter than one poll is not missed.
"""


class ConnectionMonitor:
    """Merges polled connector states and (late) connector events into "link up"/"link down" edges.

    `on_up()` runs once per new server session, `on_down(reason)` once per loss; neither runs twice for
    the same edge seen both by a poll and by an event.
    """

    def __init__(self, on_up, on_down):
        self._on_up = on_up
        self._on_down = on_down
        self.up = False
        self._downs_accounted = 0  # real disconnections handled, by poll or by event
        self._disconnected_events = 0  # DisconnectedEvents delivered so far

    def polled(self, connected):
        """The connector's state as read by the poll timer."""
        if connected and not self.up:
            self._set_up()
        elif not connected and self.up:
            self._downs_accounted += 1
            self._set_down("the connection to the server was lost")

    def connected_event(self):
        if not self.up:
            self._set_up()

    def disconnected_event(self):
        """Each DisconnectedEvent is one real disconnection; the ones the poll already handled are
        skipped, a newer one (an outage between two polls) is handled now."""
        self._disconnected_events += 1
        if self._disconnected_events > self._downs_accounted:
            self._downs_accounted = self._disconnected_events
            if self.up:
                self._set_down("the connection to the server was lost")

    def stopped(self):
        """The user disconnected: down without counting a connector disconnection."""
        if self.up:
            self._set_down("disconnected")

    def _set_up(self):
        self.up = True
        self._on_up()

    def _set_down(self, reason):
        self.up = False
        self._on_down(reason)
