"""Minimal stand-ins for the parts of `slicer`, `vtk` and `qt` that SlicerBridgeLogic touches, so its
connector handling can be exercised outside Slicer. They record calls; they implement no Slicer logic."""
import contextlib
import sys
import types

import numpy as np


class FakeVtkObject:
    def __init__(self):
        self._observers = []
        self._mtime = 1

    def AddObserver(self, event, callback, priority=0.0):
        self._observers.append((event, callback))
        return len(self._observers)

    def RemoveObserver(self, tag):
        self._observers[tag - 1] = (None, None)

    def InvokeEvent(self, event, callData=None):
        for observed, callback in list(self._observers):
            if observed == event:
                callback(self, event) if callData is None else callback(self, event, callData)

    def GetMTime(self):
        return self._mtime

    def Modified(self):
        self._mtime += 1


class FakeNode(FakeVtkObject):
    def __init__(self, className, name):
        super().__init__()
        self.className, self.name = className, name
        self.attributes = {}

    def IsA(self, className):
        return className == self.className

    def GetName(self):
        return self.name

    def SetAttribute(self, key, value):
        self.attributes[key] = value

    def SetHideFromEditors(self, value):
        self.hidden = value

    def SetSaveWithScene(self, value):
        pass


class FakeImageData(FakeVtkObject):
    def __init__(self, array, scalarType):
        super().__init__()
        self.array, self.scalarType = array, scalarType

    def GetNumberOfScalarComponents(self):
        return 1

    def GetScalarType(self):
        return self.scalarType

    def GetScalarTypeAsString(self):
        return str(self.scalarType)


class FakeVolumeNode(FakeNode):
    def __init__(self, name, array, matrix, scalarType):
        super().__init__("vtkMRMLScalarVolumeNode", name)
        self.imageData = FakeImageData(array, scalarType)
        self.matrix = np.asarray(matrix, dtype=float)
        self.parentTransform = None

    def GetParentTransformNode(self):
        return self.parentTransform

    def GetImageData(self):
        return self.imageData

    def GetIJKToRASMatrix(self, matrix):
        matrix.m = self.matrix.copy()


class FakeTransformNode(FakeNode):
    def __init__(self, name, toWorld, linear=True):
        super().__init__("vtkMRMLTransformNode", name)
        self.toWorld, self.linear = np.asarray(toWorld, dtype=float), linear

    def IsTransformToWorldLinear(self):
        return self.linear

    def GetMatrixTransformToWorld(self, matrix):
        matrix.m = self.toWorld.copy()


class FakeConnector(FakeNode):
    StateOff, StateWaitConnection, StateConnected = 0, 1, 2
    ConnectedEvent, DisconnectedEvent = 118944, 118945

    def __init__(self, name):
        super().__init__("vtkMRMLIGTLConnectorNode", name)
        self.state = self.StateOff
        self.calls = []
        self.commands = []

    def GetState(self):
        return self.state

    def SetTypeClient(self, host, port):
        self.calls.append(("SetTypeClient", host, port))

    def SetCheckCRC(self, value):
        self.calls.append(("SetCheckCRC", value))

    def Start(self):
        self.state = self.StateWaitConnection
        self.calls.append(("Start",))

    def Stop(self):
        self.state = self.StateOff
        self.calls.append(("Stop",))

    def serverAccepts(self):
        self.state = self.StateConnected
        self.InvokeEvent(self.ConnectedEvent)

    def RegisterOutgoingMRMLNode(self, node):
        self.calls.append(("Register", node.GetName()))

    def PushNode(self, node):
        self.calls.append(("Push", node.GetName()))

    def UnregisterOutgoingMRMLNode(self, node):
        self.calls.append(("Unregister", node.GetName()))

    def SendCommand(self, command):
        self.commands.append(command)


class FakeCommand(FakeVtkObject):
    CommandCancelled, CommandExpired, CommandResponseReceived = 1, 2, 4
    CommandCompletedEvent = 119100

    def __init__(self):
        super().__init__()
        self.name = self.content = ""
        self.timeout = 10.0
        self.blocking = True
        self.status = 0
        self.responseMeta = {}
        self.responseContent = ""

    def SetName(self, name):
        self.name = name

    def SetCommandContent(self, content):
        self.content = content

    def SetTimeoutSec(self, timeout):
        self.timeout = timeout

    def GetTimeoutSec(self):
        return self.timeout

    def SetBlocking(self, blocking):
        self.blocking = blocking

    def GetCommandStatus(self):
        return self.status

    def GetResponseMetaDataElement(self, key):
        return self.responseMeta.get(key, "")

    def GetResponseContent(self):
        return self.responseContent

    def complete(self, status, metadata=None, content=""):
        self.status, self.responseMeta, self.responseContent = status, metadata or {}, content
        self.InvokeEvent(self.CommandCompletedEvent)


class FakeMarkupsNode(FakeNode):
    def __init__(self, name):
        super().__init__("vtkMRMLMarkupsFiducialNode", name)
        self.points = []
        self.display = types.SimpleNamespace(visible=True)
        self.display.SetVisibility = lambda v: setattr(self.display, "visible", bool(v))
        self.display.GetVisibility = lambda: self.display.visible

    def CreateDefaultDisplayNodes(self):
        pass

    def GetDisplayNode(self):
        return self.display

    def StartModify(self):
        return 0

    def EndModify(self, wasModifying):
        pass

    def RemoveAllControlPoints(self):
        self.points = []

    def AddControlPoint(self, position, label=""):
        self.points.append((tuple(position), label))


class FakeScene(FakeVtkObject):
    NodeAddedEvent, StartCloseEvent, EndCloseEvent = 66000, 66001, 66002

    def __init__(self):
        super().__init__()
        self.nodes = []

    def GetFirstNodeByName(self, name):
        return next((n for n in self.nodes if n.GetName() == name), None)

    def AddNewNodeByClass(self, className, name):
        if className == "vtkMRMLIGTLConnectorNode":
            node = FakeConnector(name)
        elif className == "vtkMRMLMarkupsFiducialNode":
            node = FakeMarkupsNode(name)
        else:
            node = FakeNode(className, name)
        self.nodes.append(node)
        return node


class FakeQTimer:
    """qt.QTimer.singleShot records (ms, callable); tests fire them with fire_timers()."""
    scheduled = []

    @staticmethod
    def singleShot(ms, callback):
        FakeQTimer.scheduled.append((ms, callback))


def fire_timers():
    due, FakeQTimer.scheduled[:] = list(FakeQTimer.scheduled), []
    for _, callback in due:
        callback()


class FakeMatrix:
    def __init__(self):
        self.m = np.eye(4)


def _module(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


class _Base:
    def __init__(self, *args, **kwargs):
        pass


class FakeObservationMixin:
    def __init__(self):
        self._fakeObservations = []

    def addObserver(self, obj, event, method, priority=0.0):
        obj.AddObserver(event, method)
        self._fakeObservations.append((obj, event, method))

    def hasObserver(self, obj, event, method):
        return (obj, event, method) in self._fakeObservations

    def removeObservers(self, method=None):
        self._fakeObservations = []


def install():
    """Puts the fakes into sys.modules; returns the fake scene. Call uninstall() afterwards."""
    scene = FakeScene()
    vtk = _module("vtk", VTK_CHAR=2, VTK_UNSIGNED_CHAR=3, VTK_SHORT=4, VTK_UNSIGNED_SHORT=5, VTK_INT=6,
                  VTK_FLOAT=10, VTK_DOUBLE=11, VTK_LONG=8, VTK_OBJECT=13, vtkMatrix4x4=FakeMatrix,
                  calldata_type=lambda t: (lambda f: f), vtkVector3d=lambda x, y, z: (x, y, z), vtkCommand=types.SimpleNamespace(ModifiedEvent=33))
    util = _module("slicer.util", VTKObservationMixin=FakeObservationMixin,
                   arrayFromVolume=lambda node: node.imageData.array,
                   arrayFromVTKMatrix=lambda matrix: matrix.m,
                   tryWithErrorDisplay=lambda *a, **k: contextlib.nullcontext(),
                   getNodesByClass=lambda className: [n for n in scene.nodes if n.IsA(className)])
    slm = _module("slicer.ScriptedLoadableModule", ScriptedLoadableModule=_Base,
                  ScriptedLoadableModuleWidget=_Base, ScriptedLoadableModuleTest=_Base,
                  ScriptedLoadableModuleLogic=type("ScriptedLoadableModuleLogic", (_Base,),
                                                   {"getParameterNode": lambda self: None}))
    pnw = _module("slicer.parameterNodeWrapper", WithinRange=lambda lo, hi: ("range", lo, hi),
                  parameterNodeWrapper=lambda cls: cls)
    slicer = _module("slicer", mrmlScene=scene, util=util, ScriptedLoadableModule=slm,
                     parameterNodeWrapper=pnw, vtkSlicerOpenIGTLinkCommand=FakeCommand)
    FakeQTimer.scheduled.clear()
    sys.modules.update({"vtk": vtk, "qt": _module("qt", QTimer=FakeQTimer), "slicer": slicer, "slicer.util": util,
                        "slicer.ScriptedLoadableModule": slm, "slicer.parameterNodeWrapper": pnw})
    return scene


def uninstall():
    for name in ("vtk", "qt", "slicer", "slicer.util", "slicer.ScriptedLoadableModule",
                 "slicer.parameterNodeWrapper", "SlicerBridge"):
        sys.modules.pop(name, None)
