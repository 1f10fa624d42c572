import os

import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModule, ScriptedLoadableModuleTest


class SegmentEditorSlicerBridge(ScriptedLoadableModule):
    """Hidden module whose only job is to register the 'SlicerBridge' Segment Editor effect."""

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "SegmentEditorSlicerBridge"
        self.parent.categories = ["Segmentation"]
        self.parent.dependencies = ["Segmentations", "SlicerBridge"]
        self.parent.contributors = ["SlicerBridge contributors"]
        self.parent.hidden = True
        self.parent.helpText = "Registers the SlicerBridge effect in the Segment Editor."
        self.parent.acknowledgementText = ""
        slicer.app.connect("startupCompleted()", self.registerEditorEffect)

    def registerEditorEffect(self):
        import qSlicerSegmentationsEditorEffectsPythonQt as qSlicerSegmentationsEditorEffects
        instance = qSlicerSegmentationsEditorEffects.qSlicerSegmentEditorScriptedEffect(None)
        effectFilename = os.path.join(os.path.dirname(__file__), self.__class__.__name__ + "Lib/SegmentEditorEffect.py")
        instance.setPythonSource(effectFilename.replace("\\", "/"))
        instance.self().register()


class SegmentEditorSlicerBridgeTest(ScriptedLoadableModuleTest):
    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_EffectIsRegistered()

    def test_EffectIsRegistered(self):
        editorWidget = slicer.qMRMLSegmentEditorWidget()
        editorWidget.setMRMLScene(slicer.mrmlScene)
        editorNode = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLSegmentEditorNode")
        editorWidget.setMRMLSegmentEditorNode(editorNode)
        effect = editorWidget.effectByName("SlicerBridge")
        self.assertIsNotNone(effect, "the SlicerBridge effect is not registered")
        self.assertEqual(effect.name, "SlicerBridge")
