"""State of one interactive prompt session in the Segment Editor effect, kept free of Slicer.

A session starts with the first click on a segment. It remembers the segment's mask at that moment
(the baseline that add/subtract apply to, so repeated interactive results never accumulate), the
polarity of every point placed (to mirror the server's prompt-level Undo locally), and what was last
sent to the server (ROI, model) so that unchanged settings are not re-sent.
"""


from . import prompts

_UNSENT = object()  # the server holds no ROI from us (new session, new volume, or after Reset)


class PromptSession:
    def __init__(self):
        self.segment_id = None
        self.baseline = None
        self._history = []
        self._sent_roi = _UNSENT
        self._sent_model = None
        self._server_holds_points = False
        self._volume = None
        self._server_holds_points = False

    def baseline_for(self, segment_id, capture):
        """(baseline mask of `segment_id`, started). `capture()` is called when the session starts or
        the selected segment changed; it returns the segment's current mask (or None)."""
        if self.segment_id != segment_id or self.baseline is None:
            self.segment_id = segment_id
            self.baseline = capture()
            self._history = []
            return self.baseline, True
        return self.baseline, False

    def record_point(self, positive):
        self._history.append(bool(positive))

    def undo_point(self):
        """Polarity of the point to remove locally (True = positive), or None when none is left."""
        return self._history.pop() if self._history else None

    @property
    def point_count(self):
        return len(self._history)

    def prompt_update(self, positive_count):
        """The prompts.SEND_* action for the current point set (see prompts.plan_prompt_update)."""
        return prompts.plan_prompt_update(positive_count, self._server_holds_points)

    def points_sent(self):
        self._server_holds_points = True

    def reset_points(self):
        """After the server's Reset: no points, no ROI on the server; the baseline is kept so the
        segment returns to how it was before the session."""
        self._history = []
        self._sent_roi = _UNSENT
        self._server_holds_points = False

    def target_volume(self, volume):
        """Switching the source volume: the server holds no ROI and no points for the new one."""
        if volume != self._volume:
            self._volume = volume
            self._sent_roi = _UNSENT
            self._server_holds_points = False

    def server_session_changed(self):
        """A reconnect is a new server session: it holds neither our ROI, points nor model choice."""
        self._sent_roi = _UNSENT
        self._sent_model = None
        self._server_holds_points = False

    def roi_changed(self, roi_json):
        """True (and remembered) when SetRoi must be sent: the ROI (a JSON dict, or None for no ROI)
        differs from what the server holds. No ROI where the server holds none needs no command."""
        if self._sent_roi is _UNSENT:
            self._sent_roi = roi_json
            return roi_json is not None
        if roi_json == self._sent_roi:
            return False
        self._sent_roi = roi_json
        return True

    def model_changed(self, model):
        """True (and remembered) when a model other than the last one selected is chosen; an empty
        name means the server's default and is never sent."""
        if not model or model == self._sent_model:
            return False
        self._sent_model = model
        return True
