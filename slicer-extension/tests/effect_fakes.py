"""Fakes for the Segment Editor side (interaction and selection nodes, segment editor node, segmentation,
the scripted effect's C++ API, oriented image data), added to slicer_fakes by install_effect_fakes.

Modelled on Slicer's sources: vtkMRMLInteractionNode (Place = 1, ViewTransform = 2; a mode change
invokes ModifiedEvent, which qMRMLSegmentEditorWidget::onInteractionNodeModified forwards to the active
effect's interactionNodeModified), qSlicerSegmentEditorAbstractEffect::ModificationMode (Set, Add,
Remove, RemoveAll) and modifySegmentByLabelmap(segmentationNode, segmentID, labelmap, mode), which
refuses an intensity-masked modifier whose geometry differs from sourceVolumeImageData().
"""
import types

import numpy as np

from .slicer_fakes import (IMAGE_DATA_MODIFIED_EVENT, MODIFIED_EVENT, FakeMarkupsNode, FakeMatrix, FakeNode,
                           FakeVtkObject, _module)

TRANSFORM_MODIFIED_EVENT = 15000


class FakeInteractionNode(FakeVtkObject):
    Place, ViewTransform = 1, 2

    def __init__(self):
        super().__init__()
        self.mode = self.ViewTransform
        self.persistence = 0

    def GetCurrentInteractionMode(self):
        return self.mode

    def SetCurrentInteractionMode(self, mode):
        if mode != self.mode:
            self.mode = mode
            self.Modified()

    def SetPlaceModePersistence(self, value):
        self.persistence = value


class FakeSelectionNode:
    def __init__(self):
        self.placeClass, self.placeNodeId = None, None

    def SetReferenceActivePlaceNodeClassName(self, className):
        self.placeClass = className

    def SetActivePlaceNodeID(self, nodeId):
        self.placeNodeId = nodeId

    def GetActivePlaceNodeID(self):
        return self.placeNodeId


class FakeOrientedImageData:
    """slicer.vtkOrientedImageData: voxels (shared on ShallowCopy) + image-to-world matrix."""

    def __init__(self):
        self.array, self.matrix = None, np.eye(4)

    def ShallowCopy(self, imageData):
        self.array = imageData.array

    def SetImageToWorldMatrix(self, matrix):
        self.matrix = np.array(matrix.m)


class FakeResample:
    calls = []

    @staticmethod
    def DoGeometriesMatch(a, b):
        return a.array.shape == b.array.shape and np.allclose(a.matrix, b.matrix, atol=1e-6)

    @staticmethod
    def ResampleOrientedImageToReferenceOrientedImage(image, reference, output, linear):
        FakeResample.calls.append((image, reference, linear))
        output.array, output.matrix = np.zeros_like(reference.array, dtype=np.uint8), reference.matrix.copy()
        return True


def _matrix_between(source, target, matrix):
    """vtkMRMLTransformNode::GetMatrixTransformBetweenNodes for linear parents (None = world)."""
    for node in (source, target):
        if node is not None and not node.linear:
            return False
    toWorld = np.eye(4) if source is None else source.toWorld
    fromWorld = np.eye(4) if target is None else np.linalg.inv(target.toWorld)
    matrix.m = fromWorld @ toWorld
    return True


class FakeImageDataBuilder:
    """vtk.vtkImageData as _imageDataFromArray uses it."""

    def __init__(self):
        self.dims, self.array = None, None
        self._pointData = types.SimpleNamespace(SetScalars=self._setScalars)

    def SetDimensions(self, i, j, k):
        self.dims = (k, j, i)

    def GetPointData(self):
        return self._pointData

    def _setScalars(self, flat):
        self.array = np.asarray(flat).reshape(self.dims)


class FakeSegmentation:
    def __init__(self, segments):
        self.segments = segments

    def GetSegment(self, segmentId):
        return self.segments.get(segmentId) is not None or None


class FakeSegmentationNode(FakeNode):
    """Segments as 0/1 arrays on the source volume's grid."""

    def __init__(self, name, segments):
        super().__init__("vtkMRMLSegmentationNode", name)
        self.segments = segments
        self.parentTransform = None

    def GetSegmentation(self):
        return FakeSegmentation(self.segments)

    def GetParentTransformNode(self):
        return self.parentTransform


class FakeSegmentEditorNode:
    def __init__(self, segmentationNode, sourceVolume, selected):
        self.segmentationNode, self.sourceVolume, self.selected = segmentationNode, sourceVolume, selected

    def GetSegmentationNode(self):
        return self.segmentationNode

    def GetSourceVolumeNode(self):
        return self.sourceVolume

    def GetSelectedSegmentID(self):
        return self.selected


class FakeScriptedEffect:
    """The qSlicerSegmentEditorScriptedEffect API the controller calls."""
    ModificationModeSet, ModificationModeAdd, ModificationModeRemove, ModificationModeRemoveAll = range(4)

    def __init__(self, editorNode):
        self.editorNode = editorNode
        self.parameters = {}
        self.undoStates = 0
        self.modifications = []  # (segmentation node, segment id, labelmap, mode)
        self.selectedEffects = []
        self.sourceImage = None  # what sourceVolumeImageData() returns
        self.applyModifications = True  # False: record only (measurements must not time the fake's work)

    def parameterSetNode(self):
        return self.editorNode

    def setParameterDefault(self, name, value):
        self.parameters.setdefault(name, str(value))

    def setParameter(self, name, value):
        self.parameters[name] = str(value)

    def parameter(self, name):
        return self.parameters.get(name, "")

    def integerParameter(self, name):
        return int(self.parameters.get(name, "0") or 0)

    def saveStateForUndo(self):
        self.undoStates += 1

    def modifySegmentByLabelmap(self, segmentationNode, segmentId, labelmap, mode):
        self.modifications.append((segmentationNode, segmentId, labelmap, mode))
        if self.applyModifications and mode == self.ModificationModeSet:
            segmentationNode.segments[segmentId] = (np.asarray(labelmap.array) != 0).astype(np.uint8)

    def sourceVolumeImageData(self):
        return self.sourceImage

    def selectEffect(self, name):
        self.selectedEffects.append(name)


class FakeView:
    """The effect's widgets as the controller sees them."""

    def __init__(self):
        self.progress, self.busy, self.error, self.placing, self.roi = "", False, "", None, None
        self.errors = []

    def showProgress(self, text, busy=False):
        self.progress, self.busy = text, busy

    def showError(self, text):
        self.error = text
        if text:
            self.busy = False
            self.errors.append(text)

    def placeModeChanged(self, kind):
        self.placing = kind

    def currentRoiNode(self):
        return self.roi

    def setRoiNode(self, node):
        self.roi = node


def install_effect_fakes(slicer, vtk, qt):
    interactionNode, selectionNode = FakeInteractionNode(), FakeSelectionNode()
    appLogic = types.SimpleNamespace(GetInteractionNode=lambda: interactionNode,
                                     GetSelectionNode=lambda: selectionNode)
    slicer.app = types.SimpleNamespace(applicationLogic=lambda: appLogic)
    slicer.vtkMRMLMarkupsNode = FakeMarkupsNode
    slicer.vtkMRMLTransformableNode = types.SimpleNamespace(TransformModifiedEvent=TRANSFORM_MODIFIED_EVENT)
    slicer.vtkMRMLVolumeNode = types.SimpleNamespace(ImageDataModifiedEvent=IMAGE_DATA_MODIFIED_EVENT)
    slicer.vtkMRMLTransformNode = types.SimpleNamespace(GetMatrixTransformBetweenNodes=_matrix_between)
    slicer.qSlicerSegmentEditorAbstractEffect = FakeScriptedEffect
    slicer.vtkOrientedImageData = FakeOrientedImageData
    slicer.vtkOrientedImageDataResample = FakeResample
    slicer.util.arrayFromSegmentBinaryLabelmap = \
        lambda segmentationNode, segmentId, reference: np.array(segmentationNode.segments[segmentId])
    vtk.vtkImageData = FakeImageDataBuilder
    vtk.util.numpy_support.numpy_to_vtk = lambda array, deep=False, array_type=None: np.array(array) if deep else array
    FakeResample.calls = []
    import sys
    sys.modules["SegmentEditorEffects"] = _module(
        "SegmentEditorEffects", AbstractScriptedSegmentEditorEffect=type(
            "AbstractScriptedSegmentEditorEffect", (), {"__init__": lambda self, e: setattr(self, "scriptedEffect", e)}))
    return interactionNode, selectionNode


def relay_interaction_node(interactionNode, controller):
    """What qMRMLSegmentEditorWidget does for the active effect."""
    interactionNode.AddObserver(MODIFIED_EVENT, lambda caller, event: controller.interactionNodeModified(caller))


def oriented(array, matrix):
    image = FakeOrientedImageData()
    image.array, image.matrix = array, np.asarray(matrix, dtype=float)
    return image


__all__ = ["FakeMatrix", "FakeScriptedEffect", "FakeSegmentEditorNode", "FakeSegmentationNode", "FakeView",
           "install_effect_fakes", "oriented", "relay_interaction_node"]
