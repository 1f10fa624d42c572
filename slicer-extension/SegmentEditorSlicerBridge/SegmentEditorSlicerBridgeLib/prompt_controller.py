"""What the SlicerBridge effect does, without its widgets: prompt placement, requests, results.

Prompts are placed the way SlicerNNInteractive placed them (selection node + interaction node in markups
Place mode on a prompt markups node): the Segment Editor observes view clicks at priority 1.0 and an
effect that consumed them would stop existing points and ROI handles from being dragged. So clicks are
left to the markups widgets, and this controller reacts to the markups events: a point defined
(PointPositionDefinedEvent), moved (PointModifiedEvent, debounced; preview points of place mode never
count), removed, or a drag ended. Results are written through the effect's standard modify path, so
masking and Segment Editor undo apply, into the segment the prompts were made for.
"""
import functools
import logging

import numpy as np
import qt
import slicer
import vtk

from SlicerBridge import getSharedLogic
from SlicerBridgeLib import geometry, merge, names, prompts, replies
from SlicerBridgeLib.prompt_session import PromptSession

# Effect parameters (stored in the segment editor parameter node)
PARAM_MERGE_MODE = "SlicerBridge.MergeMode"
PARAM_AUTO_UPDATE = "SlicerBridge.AutoUpdate"
PARAM_REFINE = "SlicerBridge.StartFromSegment"

# What a click places
POSITIVE, NEGATIVE, ROI = "positive", "negative", "roi"

# Visible markups nodes the user places points into (may be moved or put under a transform by the user)
POSITIVE_NODE_NAME = "SlicerBridge positive"
NEGATIVE_NODE_NAME = "SlicerBridge negative"
ROI_NODE_NAME = "SlicerBridge ROI"
POSITIVE_COLOR = (0.2, 0.85, 0.3)
NEGATIVE_COLOR = (0.9, 0.2, 0.2)
UPDATE_DEBOUNCE_MS = 150  # coalesces a burst of point events (a drag, preview moves) into one update
FEATURE_PRIOR = "prior"


def reportErrors(method):
    """Observer and slot wrapper: an exception is shown in the panel, never raised into Slicer."""
    @functools.wraps(method)
    def wrapper(self, *args):
        try:
            return method(self, *args)
        except Exception as e:  # noqa: BLE001 - observers must not raise
            logging.exception("SlicerBridge effect")
            self.view.showError(str(e))
    return wrapper


class PromptController:
    """`scriptedEffect`: the qSlicerSegmentEditorScriptedEffect; `view`: showProgress(text, busy),
    showError(text), placeModeChanged(kind or None), currentRoiNode(), setRoiNode(node)."""

    def __init__(self, scriptedEffect, view):
        self.scriptedEffect = scriptedEffect
        self.view = view
        self.logic = None
        self.session = PromptSession()
        self._observations = []  # (vtk object, tag)
        self._roiObservations = []
        self._resultNode = None
        self._resultObservation = None
        self._resultSegmentId = None  # the segment the points on the server were made for
        self._volumeDevice = None
        self._worldToVolume = np.eye(4)
        self._serverSession = None  # logic.connectionCount the session state refers to
        self._mergeBuffer = None  # Add/Subtract modifier voxels, reused (modifySegmentByLabelmap copies them)
        self._updateTimer = qt.QTimer()
        self._updateTimer.setSingleShot(True)
        self._updateTimer.setInterval(UPDATE_DEBOUNCE_MS)
        self._updateTimer.connect("timeout()", self.sendPrompts)
        self._resultTimer = qt.QTimer()
        self._resultTimer.setSingleShot(True)
        self._resultTimer.connect("timeout()", self.onResultTimeout)

    # ---- life cycle -------------------------------------------------------------------------------

    def activate(self):
        self.logic = getSharedLogic()
        self.logic.addStatusListener(self.onLogicStatus)
        self.logic.addConnectionListener(self.onConnection)
        for node in self.promptNodes():
            self._observe(node, slicer.vtkMRMLMarkupsNode.PointPositionDefinedEvent, self.onPointPlaced)
            self._observe(node, slicer.vtkMRMLMarkupsNode.PointModifiedEvent, self.onPointsChanged)
            self._observe(node, slicer.vtkMRMLMarkupsNode.PointRemovedEvent, self.onPointsChanged)
            self._observe(node, slicer.vtkMRMLMarkupsNode.PointEndInteractionEvent, self.onDragEnded)
        self.onRoiChanged(self.view.currentRoiNode())
        self.startPlacing(POSITIVE)
        self.view.showError("" if self.logic.isConnected() else
                            "Not connected: connect in the SlicerBridge module (Modules > Segmentation > SlicerBridge).")

    def deactivate(self):
        self._updateTimer.stop()
        self._resultTimer.stop()
        if self._placingOurNode():
            interactionNode = slicer.app.applicationLogic().GetInteractionNode()
            interactionNode.SetCurrentInteractionMode(interactionNode.ViewTransform)
        if self.logic is not None:
            self.logic.removeStatusListener(self.onLogicStatus)
            self.logic.removeConnectionListener(self.onConnection)
        for obj, tag in self._observations + self._roiObservations:
            obj.RemoveObserver(tag)
        self._observations, self._roiObservations = [], []
        self._unobserveResult()

    def cleanup(self):
        self._updateTimer.disconnect("timeout()", self.sendPrompts)
        self._resultTimer.disconnect("timeout()", self.onResultTimeout)

    def _observe(self, obj, event, method, into=None):
        (self._observations if into is None else into).append((obj, obj.AddObserver(event, method)))

    # ---- prompt nodes and place mode --------------------------------------------------------------

    def promptNodes(self):
        return [_promptNode(POSITIVE_NODE_NAME, POSITIVE_COLOR), _promptNode(NEGATIVE_NODE_NAME, NEGATIVE_COLOR)]

    def startPlacing(self, kind):
        """Markups place mode into the positive or negative prompt node, or for the ROI (one box)."""
        if kind == ROI:
            node = self.view.currentRoiNode()
            if node is None:
                node = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsROINode", ROI_NODE_NAME)
                node.CreateDefaultDisplayNodes()
                self.view.setRoiNode(node)
            className, persistent = "vtkMRMLMarkupsROINode", 0
        else:
            node = self.promptNodes()[0 if kind == POSITIVE else 1]
            className, persistent = "vtkMRMLMarkupsFiducialNode", 1
        selectionNode = slicer.app.applicationLogic().GetSelectionNode()
        selectionNode.SetReferenceActivePlaceNodeClassName(className)
        selectionNode.SetActivePlaceNodeID(node.GetID())
        interactionNode = slicer.app.applicationLogic().GetInteractionNode()
        interactionNode.SetPlaceModePersistence(persistent)
        interactionNode.SetCurrentInteractionMode(interactionNode.Place)
        self.view.placeModeChanged(kind)  # a new place node in the same mode changes no interaction node

    def stopPlacing(self):
        interactionNode = slicer.app.applicationLogic().GetInteractionNode()
        interactionNode.SetCurrentInteractionMode(interactionNode.ViewTransform)

    def _placingKind(self):
        interactionNode = slicer.app.applicationLogic().GetInteractionNode()
        if interactionNode.GetCurrentInteractionMode() != interactionNode.Place:
            return None
        activeId = slicer.app.applicationLogic().GetSelectionNode().GetActivePlaceNodeID()
        positive, negative = self.promptNodes()
        roi = self.view.currentRoiNode()
        return {positive.GetID(): POSITIVE, negative.GetID(): NEGATIVE,
                roi.GetID() if roi is not None else None: ROI}.get(activeId)

    def _placingOurNode(self):
        return self._placingKind() is not None

    def interactionNodeModified(self, interactionNode):
        """Overrides the base effect, which leaves the effect on any mode but ViewTransform
        (qSlicerSegmentEditorAbstractEffect::interactionNodeModified): placing our own prompts or ROI
        keeps it active; placing anything else leaves it, as the base does."""
        mode = interactionNode.GetCurrentInteractionMode()
        if mode == interactionNode.ViewTransform:
            self.view.placeModeChanged(None)
            return
        kind = self._placingKind()
        if kind is not None:
            self.view.placeModeChanged(kind)
            return
        self.scriptedEffect.selectEffect("")

    def processInteractionEvents(self, callerInteractor, eventId, viewWidget):
        """Only the P and N keys: clicks stay with the markups widgets (place, select, drag)."""
        if eventId != vtk.vtkCommand.KeyPressEvent:
            return False
        key = (callerInteractor.GetKeySym() or "").lower()
        if key in ("p", "n"):
            self.startPlacing(POSITIVE if key == "p" else NEGATIVE)
            return True
        return False

    # ---- point events -----------------------------------------------------------------------------

    @vtk.calldata_type(vtk.VTK_INT)
    def onPointPlaced(self, caller, event, index=None):
        self._handlePointPlaced(caller, index)

    @reportErrors
    def _handlePointPlaced(self, node, index):
        if index is None or not 0 <= index < node.GetNumberOfControlPoints():
            index = node.GetNumberOfControlPoints() - 1
        pointId = node.GetNthControlPointID(index)
        segmentId = self._selectedSegmentId()
        if self.session.segment_id is not None and segmentId != self.session.segment_id:
            self._startOver(keep=(node, pointId))  # points belong to one segment
        self._ensureSession(segmentId)
        self.session.record_placed(node.GetName(), pointId)
        if self._autoUpdate():
            self._updateTimer.start(0)

    def onPointsChanged(self, caller, event, index=None):
        if self._autoUpdate():
            self._updateTimer.start(UPDATE_DEBOUNCE_MS)  # restart: a drag gives one update when it pauses

    def onDragEnded(self, caller, event, index=None):
        if self._autoUpdate():
            self._updateTimer.start(0)

    def _startOver(self, keep):
        """Another segment is selected: the old points are removed (all but `keep`, the new one)."""
        keepNode, keepId = keep
        for node in self.promptNodes():
            for index in reversed(range(node.GetNumberOfControlPoints())):
                if node is keepNode and node.GetNthControlPointID(index) == keepId:
                    continue
                node.RemoveNthControlPoint(index)

    def _ensureSession(self, segmentId):
        if not segmentId:
            raise ValueError("Select a segment first: the result is written into the selected segment.")
        source = self.sourceVolume()
        if source is None:
            raise ValueError("Select a source volume in the Segment Editor first.")
        segmentationNode = self.scriptedEffect.parameterSetNode().GetSegmentationNode()
        self.session.baseline_for(segmentId, lambda: slicer.util.arrayFromSegmentBinaryLabelmap(
            segmentationNode, segmentId, source))

    def worldPoints(self, node):
        """Defined, visible control points in world RAS; the preview point of place mode is not one."""
        points = []
        for index in range(node.GetNumberOfControlPoints()):
            if node.GetNthControlPointPositionStatus(index) != slicer.vtkMRMLMarkupsNode.PositionDefined:
                continue
            if not node.GetNthControlPointVisibility(index):
                continue
            position = [0.0, 0.0, 0.0]
            node.GetNthControlPointPositionWorld(index, position)  # parent transforms applied
            points.append(position)
        return geometry.as_points(points) if points else np.zeros((0, 3))

    # ---- sending ----------------------------------------------------------------------------------

    def sourceVolume(self):
        parameterSetNode = self.scriptedEffect.parameterSetNode()
        getter = getattr(parameterSetNode, "GetSourceVolumeNode", None) or parameterSetNode.GetMasterVolumeNode
        return getter()

    def _selectedSegmentId(self):
        parameterSetNode = self.scriptedEffect.parameterSetNode()
        return parameterSetNode.GetSelectedSegmentID() if parameterSetNode else None

    def _autoUpdate(self):
        return self.scriptedEffect.integerParameter(PARAM_AUTO_UPDATE) != 0

    def _prepare(self, source):
        """Volume, model and ROI on the server; returns the volume's device name, or None while the
        volume is being checked for changes (call again shortly)."""
        if self._serverSession != self.logic.connectionCount:
            self._serverSession = self.logic.connectionCount
            self.session.server_session_changed()
        self._worldToVolume = self.logic.worldToVolumeMatrix(source)
        device, pushed = self.logic.syncVolume(source)
        if pushed is None:
            return None
        self._volumeDevice = device
        self.session.target_volume(device)
        if pushed:
            self.session.points_stale()
        self._observeResult(self.logic.resultNode(device))
        model = self.logic.getParameterNode().model
        if self.session.model_changed(model):
            self.logic.setModel(model, self.onCommandReply)
            self.session.points_stale()
        self._sendRoiIfChanged()
        return device

    @reportErrors
    def sendPrompts(self):
        """One edit of the point set = one request: the whole set as one POINT message, or a Reset
        when no positive point is left (the server must not keep the deleted points)."""
        positive = self.worldPoints(self.promptNodes()[0])
        negative = self.worldPoints(self.promptNodes()[1])
        if self.session.segment_id is None:
            if len(positive) == 0:
                self.view.showProgress("Click inside the structure to add a positive point.")
                return
            self._ensureSession(self._selectedSegmentId())
        source = self.sourceVolume()
        if source is None:
            raise ValueError("Select a source volume in the Segment Editor first.")
        device = self._prepare(source)
        if device is None or not self._sendPriorIfNeeded(source, device):
            self.view.showProgress("Checking the volume and the server before sending...", busy=True)
            self._updateTimer.start(UPDATE_DEBOUNCE_MS)  # try again shortly; never wait here
            return
        positive = geometry.points_in_frame(self._worldToVolume, positive)
        negative = geometry.points_in_frame(self._worldToVolume, negative)
        key = prompts.point_set_key(positive, negative)
        action = self.session.prompt_update(len(positive), key)
        if action == prompts.SEND_POINTS:
            self.logic.pushPrompts(positive, negative)
            self.session.points_sent(key)
            self._awaitResult()
            self.view.showProgress(f"Segmenting ({len(positive)} positive, {len(negative)} negative points)...",
                                   busy=True)
        elif action == prompts.SEND_RESET:
            self.logic.reset(device, self.onCommandReply)
            self.session.reset_points()
            self._awaitResult()
            self.view.showProgress("No positive point left: the server's points and result were cleared.")
        elif len(positive) == 0:
            self.view.showProgress("Add at least one positive point.")
        self.view.showError("")

    def _sendPriorIfNeeded(self, source, device):
        """Refining: the segment's mask goes first, once per session (False: not known yet whether the
        server can take it; try again)."""
        refine = self.scriptedEffect.integerParameter(PARAM_REFINE) != 0
        if not self.session.needs_prior(refine):
            return True
        supported = self.logic.serverSupports(FEATURE_PRIOR)
        if supported is None:
            return False  # the server's GetStatus has not been answered yet on this connection
        if not supported:
            raise ValueError("This server cannot start from an existing segment (its GetStatus lists no "
                             "'prior' feature): untick 'Start from the selected segment' or update the server.")
        if np.any(self.session.baseline):
            self.logic.pushPrior(source, device, self.session.baseline)
            self.session.points_stale()
        self.session.prior_sent()
        return True

    def _awaitResult(self):
        self._resultSegmentId = self.session.segment_id
        self._resultTimer.start(int(self.logic.timeoutS * 1000))

    def onSegment(self):
        self.sendPrompts()

    def onCommandReply(self, reply):
        if not reply.success:
            self._resultTimer.stop()
            self.view.showError(f"{reply.name}: {reply.error_message}")

    def onResultTimeout(self):
        self.view.showError(f"No result from the server within {self.logic.timeoutS:g} s; it may still be "
                            "computing (see GetStatus in the SlicerBridge module) or have dropped the request.")

    # ---- connection -------------------------------------------------------------------------------

    def onLogicStatus(self, text, isError):
        if isError:
            self._resultTimer.stop()
            self.view.showError(text)
        elif text:
            self.view.showProgress(text)
            if self.logic.isConnected():
                self.view.showError("")

    def onConnection(self, up):
        if not up:
            self._resultTimer.stop()
            self._updateTimer.stop()
            return
        if self.session.segment_id is not None and any(len(self.worldPoints(n)) for n in self.promptNodes()):
            self.view.showProgress("Server back: sending the volume and the points again...", busy=True)
            self._updateTimer.start(0)  # replay on the new server session

    # ---- ROI --------------------------------------------------------------------------------------

    def onRoiChanged(self, roiNode):
        for obj, tag in self._roiObservations:
            obj.RemoveObserver(tag)
        self._roiObservations = []
        if roiNode is not None:
            for event in (vtk.vtkCommand.ModifiedEvent, slicer.vtkMRMLTransformableNode.TransformModifiedEvent):
                self._observe(roiNode, event, self.onPointsChanged, into=self._roiObservations)
        if self._volumeDevice and self._autoUpdate():
            self._updateTimer.start(0)  # the update sends the ROI (or clears it) and the points again

    def _sendRoiIfChanged(self):
        roiNode = self.view.currentRoiNode()
        if roiNode is not None and not _roiPlaced(roiNode):
            return  # being placed (size 0 or a preview corner): the server keeps what it has
        roi = None
        if roiNode is not None:
            objectToWorld = slicer.util.arrayFromVTKMatrix(roiNode.GetObjectToWorldMatrix())
            roi = geometry.roi_in_frame(self._worldToVolume, objectToWorld, list(roiNode.GetSize()))
        if self.session.roi_changed(roi.to_json() if roi else None):
            self.logic.setRoi(roi, self._volumeDevice, self.onCommandReply)
            self.session.points_stale()

    # ---- undo / reset -----------------------------------------------------------------------------

    @reportErrors
    def onUndoPoint(self):
        """Removes the newest placed point; the update that follows sends the remaining set (or a
        Reset when no positive point is left), exactly as deleting it by hand would."""
        nodes = {node.GetName(): node for node in self.promptNodes()}
        entry = self.session.pop_last_placed(
            lambda key, pointId: key in nodes and nodes[key].GetControlPointIndexByID(pointId) >= 0)
        if entry is None:
            self.view.showError("No point to undo.")
            return
        node = nodes[entry[0]]
        node.RemoveNthControlPoint(node.GetControlPointIndexByID(entry[1]))

    @reportErrors
    def onReset(self):
        self._updateTimer.stop()
        if self._volumeDevice and self.logic.isConnected():
            self.logic.reset(self._volumeDevice, self.onCommandReply)
            self._awaitResult()
        for node in self.promptNodes():
            node.RemoveAllControlPoints()
        self._updateTimer.stop()  # the removals must not send anything
        self.session.reset_points()
        self.view.showProgress("Reset.")

    # ---- results ----------------------------------------------------------------------------------

    def _observeResult(self, resultNode):
        if resultNode is self._resultNode:
            return
        self._unobserveResult()
        self._resultNode = resultNode
        self._resultObservation = resultNode.AddObserver(slicer.vtkMRMLVolumeNode.ImageDataModifiedEvent,
                                                         self.onResultModified)

    def _unobserveResult(self):
        if self._resultNode is not None and self._resultObservation is not None:
            self._resultNode.RemoveObserver(self._resultObservation)
        self._resultNode = None
        self._resultObservation = None

    def onResultModified(self, caller, event):
        qt.QTimer.singleShot(0, self.importResult)  # after the connector finished updating the node

    @reportErrors
    def importResult(self):
        resultNode = self._resultNode
        if resultNode is None or resultNode.GetImageData() is None:
            return
        self._resultTimer.stop()
        segmentId = self._resultSegmentId or self.session.segment_id
        parameterSetNode = self.scriptedEffect.parameterSetNode()
        segmentationNode = parameterSetNode.GetSegmentationNode() if parameterSetNode else None
        source = self.sourceVolume()
        if segmentationNode is None or source is None or not segmentId:
            return
        if segmentationNode.GetSegmentation().GetSegment(segmentId) is None:
            self.view.showError("The segment the points were placed for no longer exists; the result was not written.")
            return
        labelmap = self._modifierLabelmap(resultNode, source, segmentationNode)
        self.scriptedEffect.saveStateForUndo()
        self.scriptedEffect.modifySegmentByLabelmap(segmentationNode, segmentId, labelmap,
                                                    slicer.qSlicerSegmentEditorAbstractEffect.ModificationModeSet)
        attributes = {name: resultNode.GetAttribute(name) for name in resultNode.GetAttributeNames() or []}
        info = replies.parse_result_metadata(attributes)
        self.view.showError("")  # a result supersedes any earlier error (e.g. a STATUS for an older request)
        self.view.showProgress(f"Result {info.request_id or ''}: {info.summary()}.")

    def _modifierLabelmap(self, resultNode, source, segmentationNode):
        """The result as a vtkOrientedImageData in the segmentation's frame, sharing the result node's
        voxels (Replace) or holding the merge with the session's baseline (Add/Subtract); resampled only
        when the segmentation's geometry differs from the source volume's grid."""
        ijkToVolume = vtk.vtkMatrix4x4()
        resultNode.GetIJKToRASMatrix(ijkToVolume)  # the source volume's local frame (what was pushed)
        volumeToSegmentation = vtk.vtkMatrix4x4()
        if not slicer.vtkMRMLTransformNode.GetMatrixTransformBetweenNodes(
                source.GetParentTransformNode(), segmentationNode.GetParentTransformNode(), volumeToSegmentation):
            raise ValueError("The source volume and the segmentation are related by a non-linear transform; "
                             "harden it first.")
        ijkToSegmentation = vtk.vtkMatrix4x4()
        vtk.vtkMatrix4x4.Multiply4x4(volumeToSegmentation, ijkToVolume, ijkToSegmentation)
        mode = self.scriptedEffect.parameter(PARAM_MERGE_MODE) or merge.REPLACE
        if mode == merge.REPLACE:
            imageData = resultNode.GetImageData()
        else:
            imageData = _imageDataFromArray(self._mergeWithBaseline(slicer.util.arrayFromVolume(resultNode), mode))
        labelmap = slicer.vtkOrientedImageData()
        labelmap.ShallowCopy(imageData)
        labelmap.SetImageToWorldMatrix(ijkToSegmentation)
        reference = self.scriptedEffect.sourceVolumeImageData()
        if reference is not None and not slicer.vtkOrientedImageDataResample.DoGeometriesMatch(labelmap, reference):
            resampled = slicer.vtkOrientedImageData()
            slicer.vtkOrientedImageDataResample.ResampleOrientedImageToReferenceOrientedImage(
                labelmap, reference, resampled, False)
            labelmap = resampled
        return labelmap


    def _mergeWithBaseline(self, result, mode):
        """Add/Subtract against the segment as it was when the session started, into one buffer reused
        for every result (a fresh 78 MB array per result costs more in page faults than the merge)."""
        baseline = self.session.baseline
        if baseline is None or baseline.shape != result.shape:
            baseline = np.zeros(result.shape, dtype=np.uint8)
        if self._mergeBuffer is None or self._mergeBuffer.shape != result.shape:
            self._mergeBuffer = np.empty(result.shape, dtype=np.uint8)
        return merge.merge_into(self._mergeBuffer, baseline, result, mode)


def _promptNode(name, color):
    node = slicer.mrmlScene.GetFirstNodeByName(name)
    if node is None or not node.IsA("vtkMRMLMarkupsFiducialNode"):
        node = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", name)
        node.CreateDefaultDisplayNodes()
        display = node.GetDisplayNode()
        display.SetSelectedColor(*color)
        display.SetColor(*color)
        display.SetActiveColor(*color)
        display.SetPointLabelsVisibility(False)
    return node


def _roiPlaced(roiNode):
    """A new markups ROI has size 0 until its second corner is placed (vtkMRMLMarkupsROINode::
    UpdateBoxROIFromControlPoints); while placing, a corner is a preview point."""
    size = np.asarray(roiNode.GetSize(), dtype=np.float64)
    if size.shape != (3,) or not np.all(np.isfinite(size)) or np.any(size <= 0):
        return False
    return all(roiNode.GetNthControlPointPositionStatus(i) != slicer.vtkMRMLMarkupsNode.PositionPreview
               for i in range(roiNode.GetNumberOfControlPoints()))


def _imageDataFromArray(array):
    """A vtkImageData over a (K, J, I) uint8 array, sharing its memory: the caller keeps the array alive
    while the image is used (the merge buffer lives as long as the controller)."""
    import vtk.util.numpy_support
    k, j, i = array.shape
    imageData = vtk.vtkImageData()
    imageData.SetDimensions(i, j, k)
    scalars = vtk.util.numpy_support.numpy_to_vtk(array.reshape(-1), deep=False, array_type=vtk.VTK_UNSIGNED_CHAR)
    imageData.GetPointData().SetScalars(scalars)
    return imageData
