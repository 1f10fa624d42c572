"""State of one interactive prompt session in the Segment Editor effect, kept free of Slicer.

A session starts with the first prompt on a segment. It remembers that segment (results land in it even
if the user selects another one meanwhile) and its mask at that moment (the baseline that add/subtract
apply to, so repeated interactive results never accumulate, and the prior when refining it), the order
in which points were placed (for "Undo point"), and what the server holds from us (points, ROI, model,
prior) so that nothing unchanged is sent again.
"""


from . import prompts

_UNSENT = object()  # the server holds no ROI from us (new session, new volume, or after Reset)
_STALE = object()  # the server holds points of ours but must get them again (equals no point set)


class PromptSession:
    def __init__(self):
        self.segment_id = None
        self.baseline = None
        self._placed = []  # (prompt node key, control point id), oldest first
        self._sent_roi = _UNSENT
        self._sent_model = None
        self._sent_points = None  # prompts.point_set_key of the set the server holds, or None
        self._prior_sent = False
        self._volume = None

    def baseline_for(self, segment_id, capture):
        """(baseline mask of `segment_id`, started). `capture()` is called when the session starts or
        the selected segment changed; it returns the segment's current mask (or None)."""
        if self.segment_id != segment_id or self.baseline is None:
            self.segment_id = segment_id
            self.baseline = capture()
            self._placed = []
            self._prior_sent = False
            return self.baseline, True
        return self.baseline, False

    def record_placed(self, node_key, point_id):
        self._placed.append((node_key, point_id))

    def pop_last_placed(self, exists):
        """(node key, point id) of the newest placed point for which `exists(node_key, point_id)` is
        still true (points deleted by hand are skipped), removed from the history; None when none."""
        while self._placed:
            entry = self._placed.pop()
            if exists(*entry):
                return entry
        return None

    @property
    def placed_count(self):
        return len(self._placed)

    def prompt_update(self, positive_count, point_key):
        """The prompts.SEND_* action for the current point set (see prompts.plan_prompt_update);
        `point_key` is prompts.point_set_key of the set."""
        return prompts.plan_prompt_update(positive_count, self._sent_points is not None,
                                          point_key == self._sent_points)

    def points_sent(self, point_key):
        self._sent_points = point_key

    def needs_prior(self, refine):
        """True when the segment's mask must be sent as the prior before the next points."""
        return bool(refine) and not self._prior_sent and self.baseline is not None

    def prior_sent(self):
        self._prior_sent = True

    def reset_points(self):
        """After the server's Reset: no points, ROI or prior on the server; the baseline is kept so the
        segment returns to how it was before the session."""
        self._placed = []
        self._sent_roi = _UNSENT
        self._sent_points = None
        self._prior_sent = False

    def target_volume(self, volume):
        """Switching the source volume: the server holds no ROI, points or prior for the new one."""
        if volume != self._volume:
            self._volume = volume
            self._sent_roi = _UNSENT
            self._sent_points = None
            self._prior_sent = False

    def server_session_changed(self):
        """A reconnect is a new server session: it holds neither our ROI, points, prior nor model."""
        self._sent_roi = _UNSENT
        self._sent_model = None
        self._sent_points = None
        self._prior_sent = False

    def points_stale(self):
        """An ROI, model, volume or prior went out: the server recomputes only on the next POINT, so
        the same point set must be sent again."""
        if self._sent_points is not None:
            self._sent_points = _STALE

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
