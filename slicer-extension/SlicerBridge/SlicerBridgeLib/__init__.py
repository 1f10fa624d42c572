"""Slicer-independent logic of the SlicerBridge extension.

Nothing in this package imports ``slicer``, ``vtk`` or ``qt``: it is plain Python + numpy so it can be
unit-tested outside 3D Slicer (see ``slicer-extension/tests``). The Slicer module and the Segment
Editor effect call into it for request building, geometry, reply parsing, mask merging and settings.
"""
