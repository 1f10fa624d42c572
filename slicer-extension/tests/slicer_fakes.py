"""Stand-ins for the parts of `slicer`, `vtk` and `qt` that the extension touches, so its Slicer-side code
runs outside Slicer. They model behaviour read in the real sources (cited below), not just record calls:

* vtkMRMLIGTLConnectorNode / igtlioConnector (SlicerOpenIGTLink, OpenIGTLinkIO): the socket thread sets
  the state at once but only *queues* ConnectedEvent/DisconnectedEvent; they, command expiry, replies and
  incoming messages are processed in PeriodicProcess, which SlicerOpenIGTLink's logic calls only for
  connected connectors (3c3d502). A command sent without a socket stays CommandUnknown, a failed send
  becomes CommandFailed; neither completes. Only "Volume"/"VectorVolume" nodes go out as IMAGE and
  "MarkupsFiducial" as POINT. Incoming IMAGE updates the first vtkMRMLScalarVolumeNode of that name (IsA:
  a labelmap is one); incoming STATUS creates a vtkMRMLIGTLStatusNode named after the device (scene
  NodeAddedEvent). RegisterOutgoingMRMLNode sets node attributes.
* vtkSlicerOpenIGTLinkCommand: igtlioCommandStatus values and CommandCompletedEvent = 128004.
"""
import contextlib
import sys
import types

import numpy as np

# class -> its superclasses (IsA is true for the class and all of these)
CLASS_PARENTS = {
    "vtkMRMLLabelMapVolumeNode": ["vtkMRMLScalarVolumeNode", "vtkMRMLVolumeNode", "vtkMRMLNode"],
    "vtkMRMLScalarVolumeNode": ["vtkMRMLVolumeNode", "vtkMRMLNode"],
    "vtkMRMLMarkupsFiducialNode": ["vtkMRMLMarkupsNode", "vtkMRMLNode"],
    "vtkMRMLMarkupsROINode": ["vtkMRMLMarkupsNode", "vtkMRMLNode"],
    "vtkMRMLIGTLConnectorNode": ["vtkMRMLNode"],
    "vtkMRMLIGTLStatusNode": ["vtkMRMLNode"],
    "vtkMRMLSegmentationNode": ["vtkMRMLNode"],
    "vtkMRMLTransformNode": ["vtkMRMLNode"],
}
NODE_TAGS = {"vtkMRMLScalarVolumeNode": "Volume", "vtkMRMLLabelMapVolumeNode": "LabelMapVolume",
             "vtkMRMLMarkupsFiducialNode": "MarkupsFiducial", "vtkMRMLMarkupsROINode": "MarkupsROI"}
MODIFIED_EVENT = 33
IMAGE_DATA_MODIFIED_EVENT = 18001
VTK_UNSIGNED_CHAR = 3


class FakeVtkObject:
    _clock = [1]  # one global modification-time counter, as VTK's

    def __init__(self):
        self._observers = {}
        self._nextTag = 1
        self._mtime = self._tick()

    @classmethod
    def _tick(cls):
        cls._clock[0] += 1
        return cls._clock[0]

    def AddObserver(self, event, callback, priority=0.0):
        tag = self._nextTag
        self._nextTag += 1
        self._observers[tag] = (event, callback)
        return tag

    def RemoveObserver(self, tag):
        self._observers.pop(tag, None)

    def observerCount(self, event=None):
        return sum(1 for e, _ in self._observers.values() if event is None or e == event)

    def InvokeEvent(self, event, callData=None):
        for tag in list(self._observers):
            entry = self._observers.get(tag)
            if entry is not None and entry[0] == event:
                entry[1](self, event) if callData is None else entry[1](self, event, callData)

    def GetMTime(self):
        return self._mtime

    def Modified(self):
        self._mtime = self._tick()
        self.InvokeEvent(MODIFIED_EVENT)


class FakeNode(FakeVtkObject):
    def __init__(self, className, name):
        super().__init__()
        self.className, self.name = className, name
        self.attributes = {}
        self.hidden = False
        self.saveWithScene = True
        self.id = None

    def IsA(self, className):
        return className == self.className or className in CLASS_PARENTS.get(self.className, [])

    def GetID(self):
        return self.id

    def GetName(self):
        return self.name

    def GetNodeTagName(self):
        return NODE_TAGS.get(self.className, self.className)

    def SetAttribute(self, key, value):
        self.attributes[key] = value
        self.Modified()

    def GetAttribute(self, key):
        return self.attributes.get(key)

    def GetAttributeNames(self):
        return list(self.attributes)

    def GetAttributeNames(self):
        return list(self.attributes)

    def SetHideFromEditors(self, value):
        self.hidden = bool(value)

    def SetSaveWithScene(self, value):
        self.saveWithScene = bool(value)

    def StartModify(self):
        return 0

    def EndModify(self, wasModifying):
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

    def GetExtent(self):
        k, j, i = self.array.shape
        return (0, i - 1, 0, j - 1, 0, k - 1)


class FakeVolumeNode(FakeNode):
    def __init__(self, name, array=None, matrix=np.eye(4), scalarType=4, className="vtkMRMLScalarVolumeNode"):
        super().__init__(className, name)
        self.imageData = None if array is None else FakeImageData(array, scalarType)
        self.matrix = np.asarray(matrix, dtype=float)
        self.parentTransform = None

    def GetParentTransformNode(self):
        return self.parentTransform

    def GetImageData(self):
        return self.imageData

    def GetIJKToRASMatrix(self, matrix):
        matrix.m = self.matrix.copy()

    def SetIJKToRASMatrix(self, matrix):
        self.matrix = np.array(matrix.m)
        self.Modified()

    def setImage(self, array, scalarType):
        """What the connector does with an incoming IMAGE: new image data, then ImageDataModifiedEvent."""
        self.imageData = FakeImageData(array, scalarType)
        self.InvokeEvent(IMAGE_DATA_MODIFIED_EVENT)


class FakeDisplayNode:
    def __init__(self):
        self.visible, self.color, self.selectedColor, self.labels = True, None, None, True

    def SetVisibility(self, v):
        self.visible = bool(v)

    def GetVisibility(self):
        return self.visible

    def SetColor(self, *c):
        self.color = c

    def SetSelectedColor(self, *c):
        self.selectedColor = c

    def SetActiveColor(self, *c):
        pass

    def SetPointLabelsVisibility(self, v):
        self.labels = bool(v)


class FakeMarkupsNode(FakeNode):
    """vtkMRMLMarkupsFiducialNode with the events of vtkMRMLMarkupsNode.h: PointAddedEvent,
    PointPositionDefinedEvent (callData = point index), PointModifiedEvent, PointRemovedEvent,
    PointStartInteractionEvent, PointEndInteractionEvent. In place mode the markups widget first adds a
    *preview* point that follows the mouse (PositionPreview, PointModifiedEvent on every move) and
    defines it on click."""
    PointAddedEvent, PointRemovedEvent, PointPositionDefinedEvent = 19002, 19003, 19004
    PointModifiedEvent, PointStartInteractionEvent, PointEndInteractionEvent = 19008, 19009, 19010
    PositionUndefined, PositionPreview, PositionDefined, PositionMissing = range(4)

    def __init__(self, name, className="vtkMRMLMarkupsFiducialNode"):
        super().__init__(className, name)
        self.points = []  # [position, label, status, visible, id]
        self.display = None
        self._ids = 0
        self.toWorld = np.eye(4)

    def CreateDefaultDisplayNodes(self):
        if self.display is None:
            self.display = FakeDisplayNode()

    def GetDisplayNode(self):
        return self.display

    def GetNumberOfControlPoints(self):
        return len(self.points)

    def _add(self, position, label, status):
        self._ids += 1
        self.points.append([tuple(float(v) for v in position), label, status, True, str(self._ids)])
        index = len(self.points) - 1
        self.InvokeEvent(self.PointAddedEvent, index)
        if status == self.PositionDefined:
            self.InvokeEvent(self.PointPositionDefinedEvent, index)
        self.InvokeEvent(self.PointModifiedEvent, index)
        return index

    def AddControlPoint(self, position, label=""):
        return self._add(position, label, self.PositionDefined)

    def AddControlPointWorld(self, position, label=""):
        inv = np.linalg.inv(self.toWorld)
        return self._add(inv[:3, :3] @ np.asarray(position, float) + inv[:3, 3], label, self.PositionDefined)

    def RemoveAllControlPoints(self):
        if self.points:
            self.points = []
            self.InvokeEvent(self.PointRemovedEvent)

    def RemoveNthControlPoint(self, index):
        del self.points[index]
        self.InvokeEvent(self.PointRemovedEvent, index)

    def GetNthControlPointPositionWorld(self, index, out):
        p = self.toWorld[:3, :3] @ np.asarray(self.points[index][0]) + self.toWorld[:3, 3]
        out[:] = [float(v) for v in p]

    def GetNthControlPointPositionStatus(self, index):
        return self.points[index][2]

    def GetNthControlPointVisibility(self, index):
        return self.points[index][3]

    def GetNthControlPointLabel(self, index):
        return self.points[index][1]

    def GetNthControlPointID(self, index):
        return self.points[index][4]

    def GetControlPointIndexByID(self, pointId):
        return next((i for i, p in enumerate(self.points) if p[4] == pointId), -1)

    def definedPoints(self):
        return [(p[0], p[1], p[4]) for p in self.points if p[2] == self.PositionDefined]

    # -- what the markups place widget and the user do --
    def hover(self, position):
        """Place mode: the preview point follows the mouse."""
        if self.points and self.points[-1][2] == self.PositionPreview:
            self.points[-1][0] = tuple(position)
            self.InvokeEvent(self.PointModifiedEvent, len(self.points) - 1)
        else:
            self._add(position, "", self.PositionPreview)

    def click(self, position):
        """Place mode: a left click defines the preview point there."""
        self.hover(position)
        index = len(self.points) - 1
        self.points[index][2] = self.PositionDefined
        self.InvokeEvent(self.PointPositionDefinedEvent, index)
        self.InvokeEvent(self.PointModifiedEvent, index)
        return index

    def drag(self, index, *positions):
        self.InvokeEvent(self.PointStartInteractionEvent, index)
        for position in positions:
            self.points[index][0] = tuple(float(v) for v in position)
            self.InvokeEvent(self.PointModifiedEvent, index)
        self.InvokeEvent(self.PointEndInteractionEvent, index)


class FakeROINode(FakeMarkupsNode):
    """vtkMRMLMarkupsROINode: size 0 until placed (UpdateBoxROIFromControlPoints); SetSize and moves
    call Modified()."""

    def __init__(self, name):
        super().__init__(name, "vtkMRMLMarkupsROINode")
        self.size = [0.0, 0.0, 0.0]
        self.objectToWorld = np.eye(4)

    def GetSize(self):
        return tuple(self.size)

    def GetObjectToWorldMatrix(self):
        m = FakeMatrix()
        m.m = self.objectToWorld.copy()
        return m

    def placeFirstCorner(self, position):
        """Placing a box ROI: one corner defined, the second still a preview; the size is 0."""
        self._add(position, "", self.PositionDefined)
        self._add(position, "", self.PositionPreview)
        self.Modified()

    def place(self, center, size):
        self.points = []
        self.objectToWorld[:3, 3] = center
        self.size = list(size)
        self.Modified()

    def resize(self, size):
        self.size = list(size)
        self.Modified()


class FakeTransformNode(FakeNode):
    def __init__(self, name, toWorld, linear=True):
        super().__init__("vtkMRMLTransformNode", name)
        self.toWorld, self.linear = np.asarray(toWorld, dtype=float), linear

    def IsTransformToWorldLinear(self):
        return self.linear

    def GetMatrixTransformToWorld(self, matrix):
        matrix.m = self.toWorld.copy()


class FakeStatusNode(FakeNode):
    def __init__(self, name):
        super().__init__("vtkMRMLIGTLStatusNode", name)
        self.code, self.errorName, self.text = 0, "", ""

    def GetCode(self):
        return self.code

    def GetErrorName(self):
        return self.errorName

    def GetStatusString(self):
        return self.text


class FakeCommand(FakeVtkObject):
    """vtkSlicerOpenIGTLinkCommand with igtlioCommandStatus values (igtlioCommand.h)."""
    CommandUnknown, CommandWaiting, CommandExpired, CommandCancelled, CommandFailed, CommandResponseReceived = range(6)
    CommandCompletedEvent = 128004

    def __init__(self):
        super().__init__()
        self.name = self.content = ""
        self.timeout = 10.0
        self.blocking = True
        self.status = self.CommandUnknown
        self.sentAt = None
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


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


class FakeConnector(FakeNode):
    StateOff, StateWaitConnection, StateConnected = 0, 1, 2
    ConnectedEvent, DisconnectedEvent = 118944, 118945
    OUTGOING = {"Volume": "IMAGE", "VectorVolume": "IMAGE", "MarkupsFiducial": "POINT"}

    def __init__(self, name, scene, clock):
        super().__init__("vtkMRMLIGTLConnectorNode", name)
        self.scene, self.clock = scene, clock
        self.state = self.StateOff
        self.serverRunning = True
        self.failSends = False
        self.keepContent = True  # False: record what was sent without copying it (measurements)
        self.calls = []
        self.commands = []  # commands the server received
        self.sent = []  # (type, device name, content) messages the server received
        self.errors = []
        self._queue = []  # what PeriodicProcess will deliver: ("event", id) / ("call", fn)
        self._outgoing = set()
        self.incoming = []  # RegisterIncomingMRMLNode'd nodes

    # -- the socket thread --
    def GetState(self):
        return self.state

    def SetTypeClient(self, host, port):
        self.calls.append(("SetTypeClient", host, port))

    def SetCheckCRC(self, value):
        self.calls.append(("SetCheckCRC", value))

    def Start(self):
        self.state = self.StateWaitConnection
        self.calls.append(("Start",))
        self.socketThreadStep()

    def Stop(self):
        self.state = self.StateOff
        self.calls.append(("Stop",))

    def socketThreadStep(self):
        """One pass of igtlioConnector::ConnectionAcceptThreadFunction's loop."""
        if self.state == self.StateWaitConnection and self.serverRunning:
            self.state = self.StateConnected
            self._queue.append(("event", self.ConnectedEvent))
        elif self.state == self.StateConnected and not self.serverRunning:
            self.state = self.StateWaitConnection
            self._queue.append(("event", self.DisconnectedEvent))

    def serverStops(self):
        self.serverRunning = False
        self.socketThreadStep()

    def serverStarts(self):
        self.serverRunning = True
        self.socketThreadStep()

    # -- vtkSlicerOpenIGTLinkIFLogic's timer --
    def periodicProcess(self):
        if self.state != self.StateConnected:
            return  # SlicerOpenIGTLink 3c3d502: only connected connectors are processed
        queue, self._queue = self._queue, []
        for kind, item in queue:
            if kind == "event":
                self.InvokeEvent(item)
            else:
                item()
        for command in list(self.commands):
            if command.status == command.CommandWaiting and self.clock.now - command.sentAt > command.timeout:
                command.status = command.CommandExpired
                command.InvokeEvent(command.CommandCompletedEvent)

    # -- outgoing --
    def RegisterOutgoingMRMLNode(self, node):
        node.SetAttribute("OpenIGTLinkIF.out.name", node.GetName())  # as the real connector does
        if node.GetNodeTagName() not in self.OUTGOING:
            self.errors.append(f"Outgoing node reference is not supported for node type: {node.className}")
            return 0
        self._outgoing.add(node)
        return 1

    def UnregisterOutgoingMRMLNode(self, node):
        self._outgoing.discard(node)

    def PushNode(self, node):
        self.calls.append(("Push", node.GetName()))
        if node not in self._outgoing:
            self.errors.append(f"Node is not found in OutgoingMRMLIDToDeviceMap: {node.GetName()}")
            return 0
        if self.state != self.StateConnected:
            return 0  # no client socket: nothing is sent
        kind = self.OUTGOING[node.GetNodeTagName()]
        if not self.keepContent:
            content = None
        elif kind == "IMAGE":
            content = (np.array(node.imageData.array), node.imageData.scalarType, node.matrix.copy())
        else:
            content = [(label, position) for position, label, _ in node.definedPoints()]
        self.sent.append((kind, node.GetName()[:20], content))
        return 0  # the real PushNode returns 0 whatever happened

    def SendCommand(self, command):
        if self.state != self.StateConnected:
            return  # igtlioConnector::SendCommand: no client, the command stays CommandUnknown
        if self.failSends:
            command.status = command.CommandFailed
            return
        command.status = command.CommandWaiting
        command.sentAt = self.clock.now
        self.commands.append(command)

    # -- incoming (delivered by periodicProcess) --
    def answer(self, command, metadata, content=""):
        def deliver():
            command.status, command.responseMeta, command.responseContent = \
                command.CommandResponseReceived, metadata, content
            command.InvokeEvent(command.CommandCompletedEvent)
        self._queue.append(("call", deliver))

    def GetNumberOfIncomingMRMLNodes(self):
        return len(self.incoming)

    def GetIncomingMRMLNode(self, index):
        return self.incoming[index] if 0 <= index < len(self.incoming) else None

    def receiveStatus(self, deviceName, code, errorName="", text=""):
        def deliver():
            node = self.scene.GetFirstNode(deviceName, "vtkMRMLIGTLStatusNode")
            if node is None:
                node = FakeStatusNode(deviceName)
                self.scene.AddNode(node)
            node.code, node.errorName, node.text = code, errorName, text
            node.Modified()
        self._queue.append(("call", deliver))

    def receiveImage(self, deviceName, array, matrix, metadata=None):
        def deliver():
            node = self.scene.GetFirstNode(deviceName, "vtkMRMLScalarVolumeNode")
            if node is None:
                node = FakeVolumeNode(deviceName)
                self.scene.AddNode(node)
            if node not in self.incoming:  # vtkMRMLIGTLConnectorNode registers the node it updates as incoming
                self.incoming.append(node)
            node.matrix = np.asarray(matrix, dtype=float)
            for key, value in (metadata or {}).items():
                node.attributes["OpenIGTLink." + key] = value
            node.setImage(np.asarray(array, dtype=np.uint8), VTK_UNSIGNED_CHAR)
        self._queue.append(("call", deliver))


class FakeScene(FakeVtkObject):
    NodeAddedEvent, StartCloseEvent, EndCloseEvent = 66000, 66001, 66002

    def __init__(self, clock):
        super().__init__()
        self.nodes = []
        self.clock = clock
        self.factories = {}  # class name -> callable(name) for classes other modules fake

    def AddNode(self, node):
        node.id = f"{node.className}{len(self.nodes) + 1}"
        self.nodes.append(node)
        self.InvokeEvent(self.NodeAddedEvent, node)
        return node

    def GetFirstNodeByName(self, name):
        return next((n for n in self.nodes if n.GetName() == name), None)

    def GetFirstNode(self, name, className):
        return next((n for n in self.nodes if n.GetName() == name and n.IsA(className)), None)

    def GetNodeByID(self, nodeId):
        return next((n for n in self.nodes if n.GetID() == nodeId), None)

    def AddNewNodeByClass(self, className, name=""):
        if className == "vtkMRMLIGTLConnectorNode":
            node = FakeConnector(name, self, self.clock)
        elif className in ("vtkMRMLScalarVolumeNode", "vtkMRMLLabelMapVolumeNode"):
            node = FakeVolumeNode(name, className=className)
        elif className == "vtkMRMLMarkupsFiducialNode":
            node = FakeMarkupsNode(name)
        elif className == "vtkMRMLMarkupsROINode":
            node = FakeROINode(name)
        elif className in self.factories:
            node = self.factories[className](name)
        else:
            node = FakeNode(className, name)
        return self.AddNode(node)


class FakeQTimer:
    """qt.QTimer on the fake clock: single-shots and started timers run when tick() moves the clock past
    their due time; fire_timers() runs every pending single-shot at once."""
    scheduled = []  # (due, callable)
    instances = []
    clock = None

    def __init__(self):
        self.interval, self.active, self.single, self.due, self._slots = 0, False, False, None, []
        FakeQTimer.instances.append(self)

    @staticmethod
    def singleShot(ms, callback):
        FakeQTimer.scheduled.append((FakeQTimer.clock.now + ms / 1000.0, callback))

    def setInterval(self, ms):
        self.interval = ms

    def setSingleShot(self, single):
        self.single = single

    def connect(self, signal, slot):
        self._slots.append(slot)

    def disconnect(self, signal, slot):
        self._slots.remove(slot)

    def start(self, ms=None):
        if ms is not None:
            self.interval = ms
        self.active = True
        self.due = FakeQTimer.clock.now + self.interval / 1000.0

    def stop(self):
        self.active = False

    def isActive(self):
        return self.active

    def fire(self):
        if self.single:
            self.active = False
        else:
            self.due = FakeQTimer.clock.now + self.interval / 1000.0
        for slot in list(self._slots):
            slot()


def fire_timers(due_only=False):
    """Runs the pending single-shots (and those they schedule): all of them, or only those due."""
    for _ in range(100):
        now = FakeQTimer.clock.now
        due = [e for e in FakeQTimer.scheduled if not due_only or e[0] <= now]
        if not due:
            return
        FakeQTimer.scheduled[:] = [e for e in FakeQTimer.scheduled if e not in due]
        for _, callback in due:
            callback()
    raise AssertionError("single-shot timers keep rescheduling themselves")


def fire_active():
    """Runs the started timers that are due (each at most once per call)."""
    for timer in list(FakeQTimer.instances):
        if timer.active and timer.due <= FakeQTimer.clock.now:
            timer.fire()


class FakeMatrix:
    def __init__(self):
        self.m = np.eye(4)

    @staticmethod
    def Multiply4x4(a, b, c):
        c.m = a.m @ b.m


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
        tag = obj.AddObserver(event, method)
        self._fakeObservations.append((obj, event, method, tag))

    def hasObserver(self, obj, event, method):
        return any(o[:3] == (obj, event, method) for o in self._fakeObservations)

    def removeObservers(self, method=None):
        for obj, _, m, tag in list(self._fakeObservations):
            if method is None or m == method:
                obj.RemoveObserver(tag)
                self._fakeObservations.remove((obj, _, m, tag))


def _parameter_node_wrapper(cls):
    """@parameterNodeWrapper: instances wrap a parameter node and start at the class defaults."""
    defaults = {name: getattr(cls, name) for name in getattr(cls, "__annotations__", {})}

    def __init__(self, parameterNode=None):
        self.__dict__.update(defaults)
    return type(cls.__name__, (), {"__init__": __init__})


def _update_volume_from_array(node, array):
    """slicer.util.updateVolumeFromArray: copies the voxels into new image data (uint8 -> VTK type 3)."""
    types_ = {np.dtype(np.uint8): VTK_UNSIGNED_CHAR, np.dtype(np.int16): 4, np.dtype(np.float32): 10}
    node.imageData = FakeImageData(np.array(array), types_[np.asarray(array).dtype])
    node.InvokeEvent(IMAGE_DATA_MODIFIED_EVENT)


def install(extra=None):
    """Puts the fakes into sys.modules; returns the fake scene. Call uninstall() afterwards.
    `extra(slicer_module, vtk_module, qt_module)` may add more fakes (see effect_fakes)."""
    clock = FakeClock()
    scene = FakeScene(clock)
    FakeVtkObject._clock[0] = 1
    numpy_support = _module("vtk.util.numpy_support")
    vtk_util = _module("vtk.util", numpy_support=numpy_support)
    vtk = _module("vtk", VTK_CHAR=2, VTK_UNSIGNED_CHAR=VTK_UNSIGNED_CHAR, VTK_SHORT=4, VTK_UNSIGNED_SHORT=5,
                  VTK_INT=6, VTK_FLOAT=10, VTK_DOUBLE=11, VTK_LONG=8, VTK_OBJECT=13, vtkMatrix4x4=FakeMatrix,
                  calldata_type=lambda t: (lambda f: f), vtkVector3d=lambda x, y, z: (x, y, z),
                  vtkCommand=types.SimpleNamespace(ModifiedEvent=MODIFIED_EVENT, KeyPressEvent=9,
                                                   LeftButtonPressEvent=12),
                  util=vtk_util)
    util = _module("slicer.util", VTKObservationMixin=FakeObservationMixin,
                   arrayFromVolume=lambda node: node.imageData.array,
                   arrayFromVTKMatrix=lambda matrix: matrix.m,
                   updateVolumeFromArray=_update_volume_from_array,
                   tryWithErrorDisplay=lambda *a, **k: contextlib.nullcontext(),
                   getNodesByClass=lambda className: [n for n in scene.nodes if n.IsA(className)])
    slm = _module("slicer.ScriptedLoadableModule", ScriptedLoadableModule=_Base,
                  ScriptedLoadableModuleWidget=_Base, ScriptedLoadableModuleTest=_Base,
                  ScriptedLoadableModuleLogic=type("ScriptedLoadableModuleLogic", (_Base,),
                                                   {"getParameterNode": lambda self: None}))
    pnw = _module("slicer.parameterNodeWrapper", WithinRange=lambda lo, hi: ("range", lo, hi),
                  parameterNodeWrapper=_parameter_node_wrapper)
    slicer = _module("slicer", mrmlScene=scene, util=util, ScriptedLoadableModule=slm,
                     parameterNodeWrapper=pnw, vtkSlicerOpenIGTLinkCommand=FakeCommand)
    qt = _module("qt", QTimer=FakeQTimer)
    FakeQTimer.scheduled.clear()
    FakeQTimer.instances.clear()
    FakeQTimer.clock = clock
    sys.modules.update({"vtk": vtk, "vtk.util": vtk_util, "vtk.util.numpy_support": numpy_support, "qt": qt,
                        "slicer": slicer, "slicer.util": util, "slicer.ScriptedLoadableModule": slm,
                        "slicer.parameterNodeWrapper": pnw})
    if extra is not None:
        extra(slicer, vtk, qt)
    import SlicerBridge
    SlicerBridge.time = clock  # the logic's deadlines use time.monotonic()
    return scene


_INSTALLED = ("vtk", "vtk.util", "vtk.util.numpy_support", "qt", "slicer", "slicer.util",
              "slicer.ScriptedLoadableModule", "slicer.parameterNodeWrapper", "SlicerBridge",
              "SegmentEditorEffects", "SegmentEditorSlicerBridgeLib",
              "SegmentEditorSlicerBridgeLib.prompt_controller")


def uninstall():
    for name in _INSTALLED:
        sys.modules.pop(name, None)
    import SlicerBridgeLib  # noqa: F401 - keeps the Slicer-free library loaded


def tick(connector, seconds=0.5):
    """Time passes (by default one poll interval): the connector's thread and periodic processing run,
    then the extension's timers that are due, until nothing more happens at this time."""
    connector.clock.now += seconds
    for _ in range(20):
        before = (len(connector.sent), len(connector.commands), len(FakeQTimer.scheduled),
                  [t.due for t in FakeQTimer.instances if t.active])
        connector.socketThreadStep()
        connector.periodicProcess()
        fire_active()
        fire_timers(due_only=True)
        after = (len(connector.sent), len(connector.commands), len(FakeQTimer.scheduled),
                 [t.due for t in FakeQTimer.instances if t.active])
        if after == before:
            return
