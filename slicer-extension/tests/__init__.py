"""Tests of the Slicer-independent parts of the extension. Run from slicer-extension/:
    /usr/bin/python3 -m unittest discover -s tests -t .
"""
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _module_dir in ("SlicerBridge", "SegmentEditorSlicerBridge"):  # as Slicer puts module folders on sys.path
    _path = os.path.join(_ROOT, _module_dir)
    if _path not in sys.path:
        sys.path.insert(0, _path)
