from .SegmentEditorEffect import *  # noqa: F401,F403
