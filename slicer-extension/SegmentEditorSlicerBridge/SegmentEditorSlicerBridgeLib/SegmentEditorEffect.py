import logging
import os

import qt
import slicer
from SegmentEditorEffects import AbstractScriptedSegmentEditorEffect

from SlicerBridgeLib import merge

from SegmentEditorSlicerBridgeLib.prompt_controller import (NEGATIVE, PARAM_AUTO_UPDATE, PARAM_MERGE_MODE,
                                                            PARAM_REFINE, POSITIVE, ROI, PromptController)


class SegmentEditorEffect(AbstractScriptedSegmentEditorEffect):
    """Interactive segmentation by a SlicerBridge server: placed points become POINT prompts, the
    server's labelmap is written into the segment the points were placed for. The widgets live here;
    what they do is in PromptController. Never blocks the GUI."""

    def __init__(self, scriptedEffect):
        scriptedEffect.name = "SlicerBridge"  # not translated: modules look effects up by name
        scriptedEffect.title = "SlicerBridge"
        scriptedEffect.perSegment = True
        scriptedEffect.requireSegments = True
        AbstractScriptedSegmentEditorEffect.__init__(self, scriptedEffect)
        self.controller = PromptController(scriptedEffect, self)

    def clone(self):
        import qSlicerSegmentationsEditorEffectsPythonQt as effects
        clonedEffect = effects.qSlicerSegmentEditorScriptedEffect(None)
        clonedEffect.setPythonSource(__file__.replace("\\", "/"))
        return clonedEffect

    def icon(self):
        iconPath = os.path.join(os.path.dirname(__file__), "SegmentEditorEffect.png")
        return qt.QIcon(iconPath) if os.path.exists(iconPath) else qt.QIcon()

    def helpText(self):
        return ("<html>Segment with a SlicerBridge server (connect in the SlicerBridge module first).<p>"
                "The effect starts placing <b>positive</b> points: click inside the structure in any view. "
                "<b>Negative (N)</b> places points outside it, <b>Positive (P)</b> goes back (the keys work with "
                "the mouse over a view). Every placed, moved or deleted point re-segments.<p>"
                "To move points, stop placing (right-click in the view, or click the highlighted button again), "
                "then drag them; ROI handles are dragged the same way. Right-click a point to delete it.<p>"
                "<b>ROI</b> limits the region: pick one, or press <b>Place ROI</b> and click two corners. "
                "<b>Start from the selected segment</b> sends the segment as it is as the starting mask, so the "
                "clicks refine it. <b>Result</b>: the server's labelmap replaces, is added to, or is subtracted "
                "from the segment as it was before the first point. The Segment Editor's masking settings apply, "
                "and Ctrl+Z undoes a result.</html>")

    # ---- GUI --------------------------------------------------------------------------------------

    def setupOptionsFrame(self):
        self.positiveButton = qt.QPushButton("Positive (P)")
        self.negativeButton = qt.QPushButton("Negative (N)")
        for button, tip in ((self.positiveButton, "Click in a view to add a point inside the structure."),
                            (self.negativeButton, "Click in a view to add a point outside the structure.")):
            button.checkable = True
            button.setToolTip(tip)
        placeLayout = qt.QHBoxLayout()
        placeLayout.addWidget(self.positiveButton)
        placeLayout.addWidget(self.negativeButton)
        self.scriptedEffect.addLabeledOptionsWidget("Place:", placeLayout)

        self.roiSelector = slicer.qMRMLNodeComboBox()
        self.roiSelector.nodeTypes = ["vtkMRMLMarkupsROINode"]
        self.roiSelector.noneEnabled = True
        self.roiSelector.addEnabled = False
        self.roiSelector.removeEnabled = False
        self.roiSelector.setMRMLScene(slicer.mrmlScene)
        self.roiSelector.setToolTip("Optional box limiting where the server segments (SetRoi command).")
        self.placeRoiButton = qt.QPushButton("Place ROI")
        self.placeRoiButton.checkable = True
        self.placeRoiButton.setToolTip("Click two corners in a view (creates an ROI when none is selected).")
        roiLayout = qt.QHBoxLayout()
        roiLayout.addWidget(self.roiSelector)
        roiLayout.addWidget(self.placeRoiButton)
        self.scriptedEffect.addLabeledOptionsWidget("ROI:", roiLayout)

        self.refineCheckBox = qt.QCheckBox("Start from the selected segment")
        self.refineCheckBox.setToolTip("Send the segment as it is as the starting mask: clicks then refine it "
                                       "(needs a server that lists the 'prior' feature).")
        self.scriptedEffect.addOptionsWidget(self.refineCheckBox)

        self.mergeModeCombo = qt.QComboBox()
        for mode in merge.MERGE_MODES:
            self.mergeModeCombo.addItem(mode.capitalize(), mode)
        self.mergeModeCombo.setToolTip("How the server's result is written into the segment, relative to the "
                                       "segment as it was before the first point.")
        self.scriptedEffect.addLabeledOptionsWidget("Result:", self.mergeModeCombo)

        self.autoUpdateCheckBox = qt.QCheckBox("Auto-update")
        self.autoUpdateCheckBox.setToolTip("Segment after every point change; otherwise press Segment.")
        self.segmentButton = qt.QPushButton("Segment")
        self.undoButton = qt.QPushButton("Undo point")
        self.undoButton.setToolTip("Removes the last placed point; the segmentation follows.")
        self.resetButton = qt.QPushButton("Reset")
        self.resetButton.setToolTip("Removes all points and clears the points, ROI and result on the server.")
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

        self.positiveButton.connect("clicked(bool)", lambda on: self._onPlaceButton(POSITIVE, on))
        self.negativeButton.connect("clicked(bool)", lambda on: self._onPlaceButton(NEGATIVE, on))
        self.placeRoiButton.connect("clicked(bool)", lambda on: self._onPlaceButton(ROI, on))
        self.mergeModeCombo.connect("currentIndexChanged(int)", self.updateMRMLFromGUI)
        self.autoUpdateCheckBox.connect("toggled(bool)", self.updateMRMLFromGUI)
        self.refineCheckBox.connect("toggled(bool)", self.updateMRMLFromGUI)
        self.roiSelector.connect("currentNodeChanged(vtkMRMLNode*)", self.controller.onRoiChanged)
        self.segmentButton.connect("clicked()", self.controller.onSegment)
        self.undoButton.connect("clicked()", self.controller.onUndoPoint)
        self.resetButton.connect("clicked()", self.controller.onReset)

    def _onPlaceButton(self, kind, on):
        if on:
            self.controller.startPlacing(kind)
        else:
            self.controller.stopPlacing()

    def setMRMLDefaults(self):
        self.scriptedEffect.setParameterDefault(PARAM_MERGE_MODE, merge.REPLACE)
        self.scriptedEffect.setParameterDefault(PARAM_AUTO_UPDATE, 1)
        self.scriptedEffect.setParameterDefault(PARAM_REFINE, 0)

    def updateGUIFromMRML(self):
        wasBlocked = self.mergeModeCombo.blockSignals(True)
        self.mergeModeCombo.setCurrentIndex(max(self.mergeModeCombo.findData(
            self.scriptedEffect.parameter(PARAM_MERGE_MODE)), 0))
        self.mergeModeCombo.blockSignals(wasBlocked)
        autoUpdate = self.scriptedEffect.integerParameter(PARAM_AUTO_UPDATE) != 0
        for checkBox, value in ((self.autoUpdateCheckBox, autoUpdate),
                                (self.refineCheckBox, self.scriptedEffect.integerParameter(PARAM_REFINE) != 0)):
            wasBlocked = checkBox.blockSignals(True)
            checkBox.checked = value
            checkBox.blockSignals(wasBlocked)
        self.segmentButton.enabled = not autoUpdate

    def updateMRMLFromGUI(self, *unused):
        self.scriptedEffect.setParameter(PARAM_MERGE_MODE, self.mergeModeCombo.currentData or merge.REPLACE)
        self.scriptedEffect.setParameter(PARAM_AUTO_UPDATE, 1 if self.autoUpdateCheckBox.checked else 0)
        self.scriptedEffect.setParameter(PARAM_REFINE, 1 if self.refineCheckBox.checked else 0)
        self.segmentButton.enabled = not self.autoUpdateCheckBox.checked

    # ---- the controller's view --------------------------------------------------------------------

    def showProgress(self, text, busy=False):
        self.progressLabel.text = text
        self.progressBar.visible = busy

    def showError(self, text):
        self.errorLabel.text = text
        if text:
            self.progressBar.visible = False
            logging.warning("SlicerBridge: %s", text)

    def placeModeChanged(self, kind):
        for button, buttonKind in ((self.positiveButton, POSITIVE), (self.negativeButton, NEGATIVE),
                                   (self.placeRoiButton, ROI)):
            wasBlocked = button.blockSignals(True)
            button.checked = kind == buttonKind
            button.blockSignals(wasBlocked)

    def currentRoiNode(self):
        return self.roiSelector.currentNode()

    def setRoiNode(self, node):
        self.roiSelector.setCurrentNode(node)

    # ---- Segment Editor hooks ---------------------------------------------------------------------

    def activate(self):
        self.controller.activate()

    def deactivate(self):
        self.controller.deactivate()

    def cleanup(self):
        self.controller.cleanup()

    def interactionNodeModified(self, interactionNode):
        self.controller.interactionNodeModified(interactionNode)

    def processInteractionEvents(self, callerInteractor, eventId, viewWidget):
        return self.controller.processInteractionEvents(callerInteractor, eventId, viewWidget)
