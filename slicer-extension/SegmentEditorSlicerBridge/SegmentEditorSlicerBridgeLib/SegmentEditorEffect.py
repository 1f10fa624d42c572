import logging
import os

import numpy as np
import qt
import slicer
import vtk
from SegmentEditorEffects import AbstractScriptedSegmentEditorEffect

from SlicerBridge import getSharedLogic
from SlicerBridgeLib import geometry, merge, prompts, replies
from SlicerBridgeLib.prompt_session import PromptSession

# Effect parameters (stored in the segment editor parameter node)
PARAM_PROMPT_MODE = "SlicerBridge.PromptMode"
PARAM_MERGE_MODE = "SlicerBridge.MergeMode"
PARAM_AUTO_UPDATE = "SlicerBridge.AutoUpdate"
PROMPT_POSITIVE = "positive"
PROMPT_NEGATIVE = "negative"

# Visible markups nodes the user clicks into (may be moved or put under a transform by the user)
POSITIVE_NODE_NAME = "SlicerBridge positive"
NEGATIVE_NODE_NAME = "SlicerBridge negative"
POSITIVE_COLOR = (0.2, 0.85, 0.3)
NEGATIVE_COLOR = (0.9, 0.2, 0.2)
UPDATE_DEBOUNCE_MS = 150  # coalesces a burst of point events (e.g. a drag) into one update


class SegmentEditorEffect(AbstractScriptedSegmentEditorEffect):
    """Interactive segmentation by a SlicerBridge server: clicks become POINT prompts, the server's
    labelmap is merged into the selected segment. Never blocks the GUI: replies come back through
    command completion events and node modification events."""

    def __init__(self, scriptedEffect):
        scriptedEffect.name = "SlicerBridge"  # not translated: modules look effects up by name
        scriptedEffect.title = "SlicerBridge"
        scriptedEffect.perSegment = True
        scriptedEffect.requireSegments = True
        AbstractScriptedSegmentEditorEffect.__init__(self, scriptedEffect)
        self._observations = []  # (vtk object, tag)
        self._resultObservation = None
        self._resultNode = None
        self._volumeDevice = None
        self._worldToVolume = np.eye(4)  # the source volume's parent transform, inverted
        self.session = PromptSession()  # baseline mask, point history, ROI/model last sent
        self._suppressPointEvents = False
        self._serverSession = None  # logic.connectionCount the session state refers to
        self._updateTimer = qt.QTimer()
        self._updateTimer.setSingleShot(True)
        self._updateTimer.setInterval(UPDATE_DEBOUNCE_MS)
        self._updateTimer.connect("timeout()", self.sendPrompts)

    def clone(self):
        import qSlicerSegmentationsEditorEffectsPythonQt as effects
        clonedEffect = effects.qSlicerSegmentEditorScriptedEffect(None)
        clonedEffect.setPythonSource(__file__.replace("\\", "/"))
        return clonedEffect

    def icon(self):
        iconPath = os.path.join(os.path.dirname(__file__), "SegmentEditorEffect.png")
        return qt.QIcon(iconPath) if os.path.exists(iconPath) else qt.QIcon()

    def helpText(self):
        return ("<html>Segment with a SlicerBridge server.<p>"
                "Left-click in a slice view to add a point: <b>P</b> switches to positive (inside) points, "
                "<b>N</b> to negative (outside) points. Points can be dragged. Optionally pick an ROI to limit "
                "the region. The result replaces, is added to, or is subtracted from the selected segment."
                "<p>Connect to the server in the SlicerBridge module first.</html>")

    # ---- GUI --------------------------------------------------------------------------------------

    def setupOptionsFrame(self):
        self.positiveButton = qt.QRadioButton("Positive (P)")
        self.negativeButton = qt.QRadioButton("Negative (N)")
        modeLayout = qt.QHBoxLayout()
        modeLayout.addWidget(self.positiveButton)
        modeLayout.addWidget(self.negativeButton)
        self.scriptedEffect.addLabeledOptionsWidget("Click adds:", modeLayout)

        self.roiSelector = slicer.qMRMLNodeComboBox()
        self.roiSelector.nodeTypes = ["vtkMRMLMarkupsROINode"]
        self.roiSelector.noneEnabled = True
        self.roiSelector.addEnabled = True  # "Create new Markups ROI" from the selector
        self.roiSelector.removeEnabled = False
        self.roiSelector.setMRMLScene(slicer.mrmlScene)
        self.roiSelector.setToolTip("Optional box limiting where the server segments (SetRoi command).")
        self.scriptedEffect.addLabeledOptionsWidget("ROI:", self.roiSelector)

        self.mergeModeCombo = qt.QComboBox()
        for mode in merge.MERGE_MODES:
            self.mergeModeCombo.addItem(mode.capitalize(), mode)
        self.mergeModeCombo.setToolTip("How the server's result is written into the selected segment.")
        self.scriptedEffect.addLabeledOptionsWidget("Result:", self.mergeModeCombo)

        self.autoUpdateCheckBox = qt.QCheckBox("Auto-update")
        self.autoUpdateCheckBox.setToolTip("Segment after every point change; otherwise press Segment.")
        self.segmentButton = qt.QPushButton("Segment")
        self.undoButton = qt.QPushButton("Undo point")
        self.undoButton.setToolTip("Server-side undo of the last prompt (Undo command).")
        self.resetButton = qt.QPushButton("Reset")
        self.resetButton.setToolTip("Clear all points, the ROI and the result on the server (Reset command).")
        buttons = qt.QHBoxLayout()
        for widget in (self.autoUpdateCheckBox, self.segmentButton, self.undoButton, self.resetButton):
            buttons.addWidget(widget)
        self.scriptedEffect.addOptionsWidget(buttons)

        self.progressBar = qt.QProgressBar()
        self.progressBar.setRange(0, 0)  # busy indicator: the server reports no percentage
        self.progressBar.setTextVisible(False)
        self.progressBar.visible = False
        self.scriptedEffect.addOptionsWidget(self.progressBar)
        self.progressLabel = qt.QLabel("")
        self.progressLabel.wordWrap = True
        self.errorLabel = qt.QLabel("")
        self.errorLabel.wordWrap = True
        self.errorLabel.setStyleSheet("color: #c0392b")
        self.scriptedEffect.addOptionsWidget(self.progressLabel)
        self.scriptedEffect.addOptionsWidget(self.errorLabel)

        self.positiveButton.connect("toggled(bool)", self.updateMRMLFromGUI)
        self.mergeModeCombo.connect("currentIndexChanged(int)", self.updateMRMLFromGUI)
        self.autoUpdateCheckBox.connect("toggled(bool)", self.updateMRMLFromGUI)
        self.roiSelector.connect("currentNodeChanged(vtkMRMLNode*)", self.onRoiChanged)
        self.segmentButton.connect("clicked()", self.onSegment)
        self.undoButton.connect("clicked()", self.onUndo)
        self.resetButton.connect("clicked()", self.onReset)

    def setMRMLDefaults(self):
        self.scriptedEffect.setParameterDefault(PARAM_PROMPT_MODE, PROMPT_POSITIVE)
        self.scriptedEffect.setParameterDefault(PARAM_MERGE_MODE, merge.REPLACE)
        self.scriptedEffect.setParameterDefault(PARAM_AUTO_UPDATE, 1)

    def updateGUIFromMRML(self):
        positive = self.scriptedEffect.parameter(PARAM_PROMPT_MODE) != PROMPT_NEGATIVE
        for widget, value in ((self.positiveButton, positive), (self.negativeButton, not positive)):
            wasBlocked = widget.blockSignals(True)
            widget.checked = value
            widget.blockSignals(wasBlocked)
        wasBlocked = self.mergeModeCombo.blockSignals(True)
        self.mergeModeCombo.setCurrentIndex(max(self.mergeModeCombo.findData(
            self.scriptedEffect.parameter(PARAM_MERGE_MODE)), 0))
        self.mergeModeCombo.blockSignals(wasBlocked)
        autoUpdate = self.scriptedEffect.integerParameter(PARAM_AUTO_UPDATE) != 0
        wasBlocked = self.autoUpdateCheckBox.blockSignals(True)
        self.autoUpdateCheckBox.checked = autoUpdate
        self.autoUpdateCheckBox.blockSignals(wasBlocked)
        self.segmentButton.enabled = not autoUpdate

    def updateMRMLFromGUI(self, *unused):
        self.scriptedEffect.setParameter(PARAM_PROMPT_MODE,
                                         PROMPT_POSITIVE if self.positiveButton.checked else PROMPT_NEGATIVE)
        self.scriptedEffect.setParameter(PARAM_MERGE_MODE, self.mergeModeCombo.currentData or merge.REPLACE)
        self.scriptedEffect.setParameter(PARAM_AUTO_UPDATE, 1 if self.autoUpdateCheckBox.checked else 0)
        self.segmentButton.enabled = not self.autoUpdateCheckBox.checked

    def showProgress(self, text, busy=False):
        self.progressLabel.text = text
        self.progressBar.visible = busy

    def showError(self, text):
        self.errorLabel.text = text
        if text:
            self.progressBar.visible = False
            logging.warning("SlicerBridge: %s", text)

    # ---- activation -------------------------------------------------------------------------------

    def activate(self):
        self.logic = getSharedLogic()
        self.logic.addStatusListener(self.onLogicStatus)
        for node in self.promptNodes():
            self._observe(node, slicer.vtkMRMLMarkupsNode.PointAddedEvent, self.onPointsChanged)
            self._observe(node, slicer.vtkMRMLMarkupsNode.PointRemovedEvent, self.onPointsChanged)
            self._observe(node, slicer.vtkMRMLMarkupsNode.PointModifiedEvent, self.onPointsChanged)
        self.onRoiChanged(self.roiSelector.currentNode())
        self.showError("" if self.logic.isConnected() else
                       "Not connected: connect in the SlicerBridge module (Modules > Segmentation > SlicerBridge).")

    def deactivate(self):
        self._updateTimer.stop()
        if getattr(self, "logic", None) is not None:
            self.logic.removeStatusListener(self.onLogicStatus)
        for obj, tag in self._observations:
            obj.RemoveObserver(tag)
        self._observations = []
        self._unobserveResult()

    def cleanup(self):
        self._updateTimer.disconnect("timeout()", self.sendPrompts)

    def _observe(self, obj, event, method):
        self._observations.append((obj, obj.AddObserver(event, method)))

    def onLogicStatus(self, text, isError):
        if isError:
            self.showError(text)
        elif text:
            self.progressLabel.text = text  # connection news: a running request keeps its busy bar
            if self.logic.isConnected():
                self.showError("")

    # ---- prompts ----------------------------------------------------------------------------------

    def promptNodes(self):
        return [self._promptNode(POSITIVE_NODE_NAME, POSITIVE_COLOR), self._promptNode(NEGATIVE_NODE_NAME, NEGATIVE_COLOR)]

    @staticmethod
    def _promptNode(name, color):
        node = slicer.mrmlScene.GetFirstNodeByName(name)
        if node is None or not node.IsA("vtkMRMLMarkupsFiducialNode"):
            node = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", name)
            node.CreateDefaultDisplayNodes()
            display = node.GetDisplayNode()
            display.SetSelectedColor(*color)
            display.SetColor(*color)
            display.SetPointLabelsVisibility(False)
        return node

    def processInteractionEvents(self, callerInteractor, eventId, viewWidget):
        if viewWidget.className() != "qMRMLSliceWidget":
            return False
        if eventId == vtk.vtkCommand.KeyPressEvent:
            key = callerInteractor.GetKeySym().lower()
            if key in ("p", "n"):
                self.scriptedEffect.setParameter(PARAM_PROMPT_MODE, PROMPT_POSITIVE if key == "p" else PROMPT_NEGATIVE)
                self.updateGUIFromMRML()
                return True
            return False
        if eventId != vtk.vtkCommand.LeftButtonPressEvent or callerInteractor.GetShiftKey() or callerInteractor.GetControlKey():
            return False
        ras = self.xyToRas(callerInteractor.GetEventPosition(), viewWidget)
        positive = self.scriptedEffect.parameter(PARAM_PROMPT_MODE) != PROMPT_NEGATIVE
        node = self.promptNodes()[0 if positive else 1]
        self._baseline(self.scriptedEffect.parameterSetNode().GetSelectedSegmentID())
        node.AddControlPointWorld(vtk.vtkVector3d(*ras))
        self.session.record_point(positive)
        return True

    def _baseline(self, segmentId):
        """The segment as it was before the session's first click (add/subtract apply to it, not to the
        previous interactive result). Starting a session also records one Segment Editor undo state."""
        parameterSetNode = self.scriptedEffect.parameterSetNode()

        def capture():
            source = self.sourceVolume()
            if source is None or not segmentId:
                return None
            return slicer.util.arrayFromSegmentBinaryLabelmap(parameterSetNode.GetSegmentationNode(),
                                                              segmentId, source).copy()

        baseline, started = self.session.baseline_for(segmentId, capture)
        if started:
            self.scriptedEffect.saveStateForUndo()
        return baseline

    def onPointsChanged(self, caller, event):
        if self._suppressPointEvents or self.scriptedEffect.integerParameter(PARAM_AUTO_UPDATE) == 0:
            return
        self._updateTimer.start()  # restart: a drag produces one update when it pauses

    def worldPoints(self, node):
        points = []
        for index in range(node.GetNumberOfControlPoints()):
            if not node.GetNthControlPointVisibility(index):
                continue
            position = [0.0, 0.0, 0.0]
            node.GetNthControlPointPositionWorld(index, position)  # parent transforms applied
            points.append(position)
        return geometry.as_points(points) if points else np.zeros((0, 3))

    def sourceVolume(self):
        parameterSetNode = self.scriptedEffect.parameterSetNode()
        getter = getattr(parameterSetNode, "GetSourceVolumeNode", None) or parameterSetNode.GetMasterVolumeNode
        return getter()

    def _prepare(self):
        """Pushes the volume if needed, selects the model and the ROI; returns the volume's device name."""
        source = self.sourceVolume()
        if source is None:
            raise ValueError("Select a source volume in the Segment Editor first.")
        if self._serverSession != self.logic.connectionCount:
            self._serverSession = self.logic.connectionCount
            self.session.server_session_changed()
        self._worldToVolume = self.logic.worldToVolumeMatrix(source)
        device = self.logic.pushVolumeIfChanged(source)
        self._volumeDevice = device
        self.session.target_volume(device)
        self._observeResult(self.logic.resultNode(device))
        if self.session.model_changed(self.logic.getParameterNode().model):
            self.logic.setModel(self.logic.getParameterNode().model, self.onCommandReply)
        self._sendRoiIfChanged()
        return device

    def sendPrompts(self):
        """One edit of the point set = one request: the whole set as one POINT message, or a Reset
        when no positive point is left (the server must not keep the deleted points)."""
        try:
            device = self._prepare()
            positive = geometry.points_in_frame(self._worldToVolume, self.worldPoints(self.promptNodes()[0]))
            negative = geometry.points_in_frame(self._worldToVolume, self.worldPoints(self.promptNodes()[1]))
            action = self.session.prompt_update(len(positive))
            if action == prompts.SEND_POINTS:
                self.logic.pushPrompts(positive, negative)
                self.session.points_sent()
                self.showProgress(f"Segmenting ({len(positive)} positive, {len(negative)} negative points)...", busy=True)
            elif action == prompts.SEND_RESET:
                self.logic.reset(device, self.onCommandReply)
                self.session.reset_points()
                self.showProgress("No positive point left: the server's points and result were cleared.")
            else:
                self.showProgress("Add at least one positive point.")
            self.showError("")
        except Exception as e:
            self.showError(str(e))

    def onSegment(self):
        self.sendPrompts()

    def onCommandReply(self, reply):
        if not reply.success:
            self.showError(f"{reply.name}: {reply.error_message}")

    # ---- ROI --------------------------------------------------------------------------------------

    def onRoiChanged(self, roiNode):
        for obj, tag in [o for o in self._observations if o[0].IsA("vtkMRMLMarkupsROINode")]:
            obj.RemoveObserver(tag)
            self._observations.remove((obj, tag))
        if roiNode is not None:
            self._observe(roiNode, slicer.vtkMRMLMarkupsNode.PointModifiedEvent, self.onPointsChanged)
            self._observe(roiNode, slicer.vtkMRMLTransformableNode.TransformModifiedEvent, self.onPointsChanged)
        if self._volumeDevice and self.logic.isConnected():
            self._sendRoiIfChanged()

    def _currentRoi(self):
        roiNode = self.roiSelector.currentNode()
        if roiNode is None:
            return None
        objectToWorld = slicer.util.arrayFromVTKMatrix(roiNode.GetObjectToWorldMatrix())
        return geometry.roi_in_frame(self._worldToVolume, objectToWorld, list(roiNode.GetSize()))

    def _sendRoiIfChanged(self):
        roi = self._currentRoi()
        if self.session.roi_changed(roi.to_json() if roi else None):
            self.logic.setRoi(roi, self._volumeDevice, self.onCommandReply)

    # ---- undo / reset -----------------------------------------------------------------------------

    def onUndo(self):
        if not self._volumeDevice:
            self.showError("Nothing to undo yet.")
            return
        try:
            self.logic.undo(self._volumeDevice, self.onCommandReply)
        except Exception as e:
            self.showError(str(e))
            return
        positive = self.session.undo_point()
        if positive is not None:  # mirror the server, which restores the previous point set
            node = self.promptNodes()[0 if positive else 1]
            self._withoutPointEvents(lambda: node.RemoveNthControlPoint(node.GetNumberOfControlPoints() - 1))
        self.showProgress("Undoing the last prompt...", busy=True)

    def onReset(self):
        try:
            if self._volumeDevice:
                self.logic.reset(self._volumeDevice, self.onCommandReply)
        except Exception as e:
            self.showError(str(e))
            return
        for node in self.promptNodes():
            self._withoutPointEvents(node.RemoveAllControlPoints)
        self.session.reset_points()
        self.showProgress("Reset.")

    def _withoutPointEvents(self, action):
        self._suppressPointEvents = True
        try:
            action()
        finally:
            self._suppressPointEvents = False

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

    def importResult(self):
        resultNode = self._resultNode
        source = self.sourceVolume()
        parameterSetNode = self.scriptedEffect.parameterSetNode()
        segmentId = parameterSetNode.GetSelectedSegmentID() if parameterSetNode else None
        if resultNode is None or source is None or not segmentId or resultNode.GetImageData() is None:
            return
        segmentation = parameterSetNode.GetSegmentationNode()
        try:
            result = slicer.util.arrayFromVolume(resultNode)
            baseline = self._baseline(segmentId)  # another segment selected: its own baseline
            if baseline is None or baseline.shape != result.shape:
                baseline = np.zeros(result.shape, dtype=np.uint8)
            merged = merge.merge_masks(baseline, result, self.scriptedEffect.parameter(PARAM_MERGE_MODE))
            slicer.util.updateSegmentBinaryLabelmapFromArray(merged, segmentation, segmentId, source)
        except Exception as e:
            self.showError(f"Could not import the result: {e}")
            return
        attributes = {name: resultNode.GetAttribute(name) for name in resultNode.GetAttributeNames() or []}
        info = replies.parse_result_metadata(attributes)
        self.showError("")  # a result supersedes any earlier error (e.g. a STATUS for an older request)
        self.showProgress(f"Result {info.request_id or ''}: {info.summary()}, "
                          f"{int(np.count_nonzero(result))} voxels.")
