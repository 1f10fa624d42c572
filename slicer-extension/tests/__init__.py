"""Tests of the Slicer-independent parts of the extension. Run from slicer-extension/:
    /usr/bin/python3 -m unittest discover -s tests -t .
"""
import os
import sys

_LIB_PARENT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "SlicerBridge")
if _LIB_PARENT not in sys.path:
    sys.path.insert(0, _LIB_PARENT)
