import logging
import time
from typing import Annotated

import numpy as np
import qt
import slicer
import vtk
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.parameterNodeWrapper import WithinRange, parameterNodeWrapper
from slicer.util import VTKObservationMixin

from SlicerBridgeLib import geometry, live_stream, names, prompts, replies, settings
from SlicerBridgeLib.connection_monitor import ConnectionMonitor
from SlicerBridgeLib.connection_wait import ConnectionWaiters
from SlicerBridgeLib.pending import PendingRequests
from SlicerBridgeLib.requests import RequestBuilder
from SlicerBridgeLib.volume_sync import (CHECK, PUSH, SYNC_DIGEST_MAX_BYTES, BackgroundDigests, VolumeSyncTracker,
                                         geometry_key, volume_digest)

CONNECTOR_NODE_NAME = "SlicerBridgeConnector"
RESULT_ATTRIBUTE = "SlicerBridge.ResultFor"
# The connector reports nothing while the server is down (connection_monitor), so its state is polled.
POLL_INTERVAL_MS = 500
# While streaming, GetStatus is asked this often for the stream's input/output frame rates and drops.
LIVE_STATUS_INTERVAL_MS = 1000
# VTK scalar types whose ids equal OpenIGTLink IMAGE codes (openigtlink.md §2.6); int32/uint32 are
# garbled by Slicer's receive path on Linux/macOS, so only these are pushed as-is.
SENDABLE_SCALAR_TYPES = (vtk.VTK_CHAR, vtk.VTK_UNSIGNED_CHAR, vtk.VTK_SHORT, vtk.VTK_UNSIGNED_SHORT,
                         vtk.VTK_FLOAT, vtk.VTK_DOUBLE)


#
# SlicerBridge
#

class SlicerBridge(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = "SlicerBridge"
        self.parent.categories = ["Segmentation"]
        self.parent.dependencies = ["OpenIGTLinkIF"]
        self.parent.contributors = ["SlicerBridge contributors"]
        self.parent.helpText = (
            "Connects to a SlicerBridge segmentation server over OpenIGTLink. Set the host and port, press "
            "Connect, choose a model, then segment interactively with the 'SlicerBridge' effect of the "
            "Segment Editor.")
        self.parent.acknowledgementText = "Uses the OpenIGTLinkIF connector of SlicerOpenIGTLink."


#
# Parameter node
#

@parameterNodeWrapper
class SlicerBridgeParameterNode:
    host: str = settings.DEFAULT_HOST
    port: Annotated[int, WithinRange(1, 65535)] = settings.DEFAULT_PORT
    timeoutS: Annotated[float, WithinRange(settings.MIN_TIMEOUT_S, settings.MAX_TIMEOUT_S)] = settings.DEFAULT_TIMEOUT_S
    model: str = ""


#
# SlicerBridgeWidget
#

class SlicerBridgeWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/SlicerBridge.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)

        self.logic = getSharedLogic()
        self.logic.addStatusListener(self.onLogicStatus)
        self.logic.addConnectionListener(self.onConnectionEdge)

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)

        self.ui.connectButton.connect("toggled(bool)", self.onConnectToggled)
        self.ui.testConnectionButton.connect("clicked(bool)", self.onTestConnection)
        self.ui.refreshModelsButton.connect("clicked(bool)", self.onRefreshModels)
        self.ui.modelComboBox.connect("currentIndexChanged(int)", self.onModelChanged)
        self.setupLive()
        self.initializeParameterNode()
        self.updateConnectionState()

    def cleanup(self):
        self.liveStatusTimer.stop()
        self.removeObservers()
        if self.logic:
            self.logic.removeStatusListener(self.onLogicStatus)
            self.logic.removeConnectionListener(self.onConnectionEdge)

    def enter(self):
        self.initializeParameterNode()

    def exit(self):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None

    def onSceneStartClose(self, caller, event):
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event):
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self):
        self.setParameterNode(self.logic.getParameterNode())

    def setParameterNode(self, inputParameterNode):
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
        self._parameterNode = inputParameterNode
        if self._parameterNode:
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)

    def currentSettings(self):
        p = self._parameterNode
        return settings.ConnectionSettings(p.host, p.port, p.timeoutS, p.model).validated()

    def onConnectToggled(self, checked):
        with slicer.util.tryWithErrorDisplay("Failed to change the connection.", waitCursor=True):
            if checked:
                self.logic.connect(self.currentSettings())
            else:
                self.logic.disconnect()
        self.updateConnectionState()

    def onTestConnection(self):
        with slicer.util.tryWithErrorDisplay("Connection test failed.", waitCursor=False):
            self.ui.serverStatusLabel.text = "Waiting for the connection..."
            self.logic.whenConnected(self.currentSettings(), self._askStatus, self.onConnectionFailed)

    def _askStatus(self):
        self.ui.serverStatusLabel.text = "Asking the server for its status..."
        try:
            self.logic.getStatus(self.onStatusReply)
        except Exception as e:
            self.onConnectionFailed(str(e))

    def onConnectionFailed(self, message):
        self.ui.serverStatusLabel.text = f"Error: {message}"
        self.updateConnectionState()

    def onStatusReply(self, reply):
        if reply.success:
            self.ui.serverStatusLabel.text = replies.summarise_status(reply.result)
        else:
            self.ui.serverStatusLabel.text = f"Error: {reply.error_message}"
        self.updateConnectionState()

    def onRefreshModels(self):
        with slicer.util.tryWithErrorDisplay("Could not list the models.", waitCursor=False):
            self.ui.serverStatusLabel.text = "Waiting for the connection..."
            self.logic.whenConnected(self.currentSettings(), self._askModels, self.onConnectionFailed)

    def _askModels(self):
        try:
            self.logic.listModels(self.onModelsReply)
        except Exception as e:
            self.onConnectionFailed(str(e))

    def onModelsReply(self, reply):
        if not reply.success:
            self.ui.serverStatusLabel.text = f"Error: {reply.error_message}"
            return
        try:
            default, models = replies.parse_models(reply.result)
        except replies.ReplyError as e:
            self.ui.serverStatusLabel.text = f"Error: {e}"
            return
        self.ui.serverStatusLabel.text = f"{len(models)} model(s) available."
        combo = self.ui.modelComboBox
        wasBlocked = combo.blockSignals(True)
        combo.clear()
        for name in models:
            combo.addItem(name + (" (default)" if name == default else ""), name)
        current = self._parameterNode.model if self._parameterNode else ""
        index = combo.findData(current or default)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(wasBlocked)
        self.onModelChanged(combo.currentIndex)

    def onModelChanged(self, index):
        if not self._parameterNode or index < 0:
            return
        self._parameterNode.model = self.ui.modelComboBox.itemData(index) or ""

    # ---- Live section (docs/live-2d.md) -------------------------------------------------------------

    def setupLive(self):
        self.live = live_stream.LiveStreamController(self.logic.sendCommand, self.logic.requests,
                                                     self.updateLiveState)
        self._liveMaskNode = None
        self._liveFrameShown = False
        for selector, placeWidget in ((self.ui.liveBoxSelector, self.ui.liveBoxPlaceWidget),
                                      (self.ui.livePointsSelector, self.ui.livePointsPlaceWidget)):
            selector.setMRMLScene(slicer.mrmlScene)
            placeWidget.setMRMLScene(slicer.mrmlScene)
            placeWidget.buttonsVisible = False
            placeWidget.placeButton().show()
            selector.connect("currentNodeChanged(vtkMRMLNode*)", placeWidget.setCurrentNode)
        self.ui.livePointsPlaceWidget.placeMultipleMarkups = slicer.qSlicerMarkupsPlaceWidget.ForcePlaceMultipleMarkups
        self.ui.liveRefreshButton.connect("clicked(bool)", self.onLiveRefresh)
        self.ui.liveStartButton.connect("clicked(bool)", self.onLiveStart)
        self.ui.liveStopButton.connect("clicked(bool)", self.onLiveStop)
        self.liveStatusTimer = qt.QTimer()
        self.liveStatusTimer.setInterval(LIVE_STATUS_INTERVAL_MS)
        self.liveStatusTimer.connect("timeout()", self._askLiveStatus)
        self.onLiveRefresh()
        self.updateLiveState()

    def onLiveRefresh(self):
        """Lists the streams the server relays (GetStatus "streams") and the incoming image nodes."""
        self._fillStreams([])
        if self.logic.isConnected():
            self._askLiveStatus()

    def _fillStreams(self, serverDevices):
        combo = self.ui.liveStreamComboBox
        current = combo.currentText
        candidates = live_stream.stream_candidates(list(serverDevices) + self.logic.incomingImageNames())
        wasBlocked = combo.blockSignals(True)
        combo.clear()
        for name in candidates:
            combo.addItem(name)
        combo.setEditText(current or (candidates[0] if candidates else ""))
        combo.blockSignals(wasBlocked)

    def onLiveStart(self):
        device = self.ui.liveStreamComboBox.currentText.strip()
        with slicer.util.tryWithErrorDisplay("Could not start the stream.", waitCursor=False):
            box, points = self.logic.livePrompts(self.ui.liveBoxSelector.currentNode(),
                                                 self.ui.livePointsSelector.currentNode())
            model = self._parameterNode.model if self._parameterNode else ""
            self.live.start(device, model or None, box, points)
            self._showLiveMask()
        self.updateLiveState()

    def onLiveStop(self):
        with slicer.util.tryWithErrorDisplay("Could not stop the stream.", waitCursor=False):
            self.live.stop()
        self.updateLiveState()

    def _showLiveMask(self):
        """Pre-creates the `_seg` labelmap the connector updates and overlays it on the frame in the slice views."""
        mask = self.logic.resultNode(self.live.device)
        if mask is not self._liveMaskNode:
            if self._liveMaskNode is not None:
                self.removeObserver(self._liveMaskNode, slicer.vtkMRMLVolumeNode.ImageDataModifiedEvent,
                                    self.onLiveFrame)
            self._liveMaskNode = mask
            # the connector sets the metadata attributes, then the new image data
            self.addObserver(mask, slicer.vtkMRMLVolumeNode.ImageDataModifiedEvent, self.onLiveFrame)
        frame = slicer.mrmlScene.GetFirstNodeByName(self.live.frame_device)
        self._liveFrameShown = frame is not None
        if frame is not None:
            slicer.util.setSliceViewerLayers(background=frame, label=mask, labelOpacity=0.5, fit=True)
        else:
            slicer.util.setSliceViewerLayers(label=mask, labelOpacity=0.5)

    def onLiveFrame(self, caller, event):
        attributes = {name: caller.GetAttribute(name) for name in caller.GetAttributeNames()}
        if self.live.on_frame(attributes) is None:
            return
        if not self._liveFrameShown:
            # the frame node exists once the connector received the first relayed frame
            self._showLiveMask()
        self.updateLiveState()

    def _askLiveStatus(self):
        try:
            self.logic.getStatus(self._onLiveStatus)
        except ConnectionError:
            pass  # not connected: the connection line says so

    def _onLiveStatus(self, reply):
        if not reply.success:
            return
        if self.live.state == live_stream.IDLE:
            self._fillStreams(live_stream.server_stream_devices(reply.result))
        self.live.on_status(reply.result)
        self.updateLiveState()

    def updateLiveState(self):
        state = self.live.state
        self.ui.liveStatusLabel.text = self.live.summary()
        self.ui.liveStartButton.text = "Re-prompt" if state == live_stream.STREAMING else "Start"
        self.ui.liveStartButton.enabled = state in (live_stream.IDLE, live_stream.STREAMING)
        self.ui.liveStopButton.enabled = state != live_stream.IDLE
        self.ui.liveStreamComboBox.enabled = state == live_stream.IDLE
        if state == live_stream.IDLE:
            self.liveStatusTimer.stop()
        elif not self.liveStatusTimer.isActive():
            self.liveStatusTimer.start()

    def onConnectionEdge(self, up):
        if not up:
            self.live.connection_lost()
            self.updateLiveState()
        self.updateConnectionState()

    def onLogicStatus(self, text, isError):
        self.updateConnectionState()
        if text:
            self.ui.serverStatusLabel.text = ("Error: " if isError else "") + text

    def updateConnectionState(self):
        connected = self.logic.isConnected()
        waiting = self.logic.isStarted() and not connected
        self.ui.connectionStateLabel.text = ("Connected." if connected else
                                             "Waiting for the server..." if waiting else "Not connected.")
        wasBlocked = self.ui.connectButton.blockSignals(True)
        self.ui.connectButton.checked = self.logic.isStarted()
        self.ui.connectButton.text = "Disconnect" if self.logic.isStarted() else "Connect"
        self.ui.connectButton.blockSignals(wasBlocked)


#
# SlicerBridgeLogic
#

_sharedLogic = None


def getSharedLogic():
    """The one logic (one connector, one command id sequence) shared by the module panel and the effect."""
    global _sharedLogic
    if _sharedLogic is None:
        _sharedLogic = SlicerBridgeLogic()
    return _sharedLogic


class SlicerBridgeLogic(ScriptedLoadableModuleLogic, VTKObservationMixin):
    """All OpenIGTLink connector calls of the extension. Replies arrive through callbacks on the GUI
    thread (CommandCompletedEvent, or this logic's own poll timer); nothing here waits or sleeps."""

    def __init__(self):
        ScriptedLoadableModuleLogic.__init__(self)
        VTKObservationMixin.__init__(self)
        self.requests = RequestBuilder()
        self.volumeSync = VolumeSyncTracker()
        self.digests = BackgroundDigests()
        self._digestSources = {}  # (device, image mtime) -> vtkImageData being hashed
        self._failedDigests = set()  # (device, image mtime) whose hash raised
        self._pendingCommands = PendingRequests()  # command id -> (command, request, callback)
        self._statusListeners = []
        self._connectionListeners = []
        self._connectWaiters = ConnectionWaiters()
        self._monitor = ConnectionMonitor(self._onLinkUp, self._onLinkDown)
        self._connectionCount = 0
        self._timeoutS = settings.DEFAULT_TIMEOUT_S
        self.serverFeatures = None  # GetStatus "features" of the current server session; None = not known
        self._ourDevices = {names.PROMPT_NODE_NAME}  # device names whose STATUS nodes are hidden
        self._pollTimer = qt.QTimer()
        self._pollTimer.setInterval(POLL_INTERVAL_MS)
        self._pollTimer.connect("timeout()", self.poll)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.NodeAddedEvent, self._onNodeAdded)

    def getParameterNode(self):
        return SlicerBridgeParameterNode(super().getParameterNode())

    # ---- listeners --------------------------------------------------------------------------------

    def addStatusListener(self, callback):
        """callback(text, isError) for connection news and server STATUS errors."""
        if callback not in self._statusListeners:
            self._statusListeners.append(callback)

    def removeStatusListener(self, callback):
        if callback in self._statusListeners:
            self._statusListeners.remove(callback)

    def addConnectionListener(self, callback):
        """callback(up: bool) on every link edge: up = a new server session, down = an outage or
        Disconnect."""
        if callback not in self._connectionListeners:
            self._connectionListeners.append(callback)

    def removeConnectionListener(self, callback):
        if callback in self._connectionListeners:
            self._connectionListeners.remove(callback)

    def _notify(self, text, isError=False):
        for callback in list(self._statusListeners):
            _call(callback, text, isError)

    # ---- connection -------------------------------------------------------------------------------

    def connectorNode(self, create=False):
        node = slicer.mrmlScene.GetFirstNodeByName(CONNECTOR_NODE_NAME)
        if node is None or not node.IsA("vtkMRMLIGTLConnectorNode"):
            if not create:
                return None
            node = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLIGTLConnectorNode", CONNECTOR_NODE_NAME)
        if not self.hasObserver(node, node.ConnectedEvent, self._onConnectedEvent):
            # delivered only while connected, so a DisconnectedEvent comes late (see connection_monitor)
            self.addObserver(node, node.ConnectedEvent, self._onConnectedEvent)
            self.addObserver(node, node.DisconnectedEvent, self._onDisconnectedEvent)
        return node

    def connect(self, connectionSettings):
        s = connectionSettings.validated()
        node = self.connectorNode(create=True)
        if node.GetState() != node.StateOff:
            self.disconnect()
        node.SetTypeClient(s.host, s.port)
        node.SetCheckCRC(True)
        self._timeoutS = s.timeout_s
        node.Start()  # asynchronous: the connector's thread connects, and retries until the server is up
        self._pollTimer.start()
        self._notify(f"Connecting to {s.host}:{s.port}...")

    def ensureConnected(self, connectionSettings):
        if not self.isStarted():
            self.connect(connectionSettings)

    def whenConnected(self, connectionSettings, onConnected, onFailed):
        """Runs onConnected() once connected (now, or when the link comes up), starting the connection
        if needed; onFailed(message) if not connected within the timeout. Never blocks."""
        if self.isConnected():
            onConnected()
            return
        s = connectionSettings.validated()
        self.ensureConnected(s)
        token = self._connectWaiters.add(onConnected, onFailed)
        message = (f"Could not connect to {s.host}:{s.port} within {s.timeout_s:g} s; "
                   "is the server running there?")
        qt.QTimer.singleShot(int(s.timeout_s * 1000), lambda: self._connectWaiters.expire(token, message))

    def disconnect(self):
        node = self.connectorNode()
        if node is not None and node.GetState() != node.StateOff:
            node.Stop()
        self._pollTimer.stop()
        self._monitor.stopped()
        self._failPending("disconnected")
        self._connectWaiters.fail_all("Disconnected before the connection was made.")
        self._notify("Disconnected.")

    @property
    def timeoutS(self):
        """Seconds a request (command or result) may take; the module's Timeout setting."""
        return self._timeoutS

    @property
    def connectionCount(self):
        """Increments on every (re)connect; each one is a new server session."""
        return self._connectionCount

    def isStarted(self):
        node = self.connectorNode()
        return node is not None and node.GetState() != node.StateOff

    def isConnected(self):
        """True while the link is up; reads the connector's state now (a link that just dropped or came
        back is handled before answering)."""
        self._pollState()
        return self._monitor.up

    def poll(self):
        """The poll timer: connector state, command deadlines, finished volume digests."""
        self._pollState()
        for _, (command, request, callback) in self._pendingCommands.pop_expired(time.monotonic()):
            _call(callback, replies.CommandReply(request.command_id, request.name, False,
                                                 f"{request.name} timed out after {command.GetTimeoutSec():g} s"))
        self._collectDigests()

    def _pollState(self):
        node = self.connectorNode()
        self._monitor.polled(node is not None and node.GetState() == node.StateConnected)

    def _onConnectedEvent(self, caller, event):
        self._monitor.connected_event()

    def _onDisconnectedEvent(self, caller, event):
        self._monitor.disconnected_event()

    def _onLinkUp(self):
        self._connectionCount += 1
        self.volumeSync.on_connection(self._connectionCount)  # a new session holds none of our volumes
        self.serverFeatures = None
        self._notify("Connected.")
        self._connectWaiters.connected()
        try:
            self.getStatus(self._onServerStatus)
        except Exception as e:  # noqa: BLE001 - the link dropped again at once: the next edge handles it
            logging.warning("SlicerBridge: could not ask the server for its features: %s", e)
        for callback in list(self._connectionListeners):
            _call(callback, True)

    def _onLinkDown(self, reason):
        self._failPending(reason)
        self.serverFeatures = None
        if reason == "disconnected":
            self._notify("")
        else:
            self._notify("Connection to the server lost; the connector keeps retrying and the volume and "
                         "points are sent again when it is back.", True)
        for callback in list(self._connectionListeners):
            _call(callback, False)

    def _onServerStatus(self, reply):
        # An unanswered or failed GetStatus (an older or busy server) counts as "no optional features":
        # whoever waits for the features must not wait forever.
        self.serverFeatures = replies.parse_features(reply.result) if reply.success else frozenset()

    def serverSupports(self, feature):
        """True/False once the server's GetStatus has been answered on this connection, else None."""
        return None if self.serverFeatures is None else feature in self.serverFeatures

    def _requireConnected(self):
        if not self.isConnected():
            raise ConnectionError("Not connected to a SlicerBridge server: open the SlicerBridge module, "
                                  "check host and port, and press Connect.")

    # ---- commands ---------------------------------------------------------------------------------

    def sendCommand(self, request, callback, timeoutS=None):
        """Sends a CommandRequest without blocking; `callback(CommandReply)` runs exactly once: on the
        answer, on expiry (the connector's or this logic's own deadline, which also runs while the
        server is down), when the link drops, or when the connector could not send it at all."""
        self._requireConnected()
        timeoutS = timeoutS or self._timeoutS
        command = slicer.vtkSlicerOpenIGTLinkCommand()
        command.SetName(request.name)
        command.SetCommandContent(request.content)
        command.SetTimeoutSec(timeoutS)
        command.SetBlocking(False)
        self._pendingCommands.add(request.command_id, time.monotonic() + timeoutS, (command, request, callback))
        command.AddObserver(command.CommandCompletedEvent,
                            lambda caller, event, cid=request.command_id: self._onCommandCompleted(cid))
        self.connectorNode().SendCommand(command)
        if command.GetCommandStatus() != command.CommandWaiting:
            # igtlioConnector::SendCommand marks a failed send CommandFailed (and leaves it unknown when
            # there is no socket); neither ever completes, so answer it here, after this call returns.
            qt.QTimer.singleShot(0, lambda cid=request.command_id: self._failUnsent(cid))
        return request.command_id

    def _failUnsent(self, commandId):
        entry = self._pendingCommands.pop(commandId)
        if entry is not None:
            _, request, callback = entry
            _call(callback, replies.CommandReply(request.command_id, request.name, False,
                                                 f"{request.name} could not be sent to the server"))

    def _onCommandCompleted(self, commandId):
        entry = self._pendingCommands.pop(commandId)
        if entry is None:
            return  # already answered (own deadline, link lost)
        command, request, callback = entry
        status = command.GetCommandStatus()
        if status == command.CommandResponseReceived:
            metadata = {key: command.GetResponseMetaDataElement(key) for key in ("Status", "ErrorMessage")}
            try:
                reply = replies.parse_command_reply(request.command_id, request.name, metadata,
                                                    command.GetResponseContent())
            except replies.ReplyError as e:
                reply = replies.CommandReply(request.command_id, request.name, False, str(e))
        elif status == command.CommandExpired:
            reply = replies.CommandReply(request.command_id, request.name, False,
                                         f"{request.name} timed out after {command.GetTimeoutSec():g} s")
        else:
            reply = replies.CommandReply(request.command_id, request.name, False,
                                         f"{request.name} was cancelled")
        _call(callback, reply)

    def _failPending(self, why):
        for _, (command, request, callback) in self._pendingCommands.pop_all():
            _call(callback, replies.CommandReply(request.command_id, request.name, False,
                                                 f"{request.name} not answered: {why}"))

    def getStatus(self, callback):
        return self.sendCommand(self.requests.get_status(), callback)

    def listModels(self, callback):
        return self.sendCommand(self.requests.list_models(), callback)

    def setModel(self, model, callback):
        return self.sendCommand(self.requests.set_model(model), callback)

    def setRoi(self, roi, volumeDevice, callback):
        request = self.requests.set_roi(roi, volumeDevice) if roi else self.requests.clear_roi(volumeDevice)
        return self.sendCommand(request, callback)

    def undo(self, volumeDevice, callback):
        return self.sendCommand(self.requests.undo(volumeDevice), callback)

    def reset(self, volumeDevice, callback):
        return self.sendCommand(self.requests.reset(volumeDevice), callback)

    def segment(self, volumeDevice, points, roi, model, callback):
        output = names.result_device_name(volumeDevice)
        request = self.requests.segment(volume=volumeDevice, points=points, roi=roi, model=model or None,
                                        output=output)
        return self.sendCommand(request, callback)

    # ---- data nodes -------------------------------------------------------------------------------

    def syncVolume(self, volumeNode):
        """Makes sure the server holds the volume's current voxels and geometry. Returns
        (device name, pushed now), or (device name, None) while a big volume whose voxels were touched
        is being hashed in the background: call again a little later. Pushes once per connection and
        again only when the voxels (image data modification time, then digest) or the geometry changed.
        The node is unregistered right after the push so later edits are not streamed silently."""
        self._requireConnected()
        imageData = volumeNode.GetImageData()
        if imageData is None:
            raise ValueError(f"Volume '{volumeNode.GetName()}' has no image data.")
        if imageData.GetNumberOfScalarComponents() != 1:
            raise ValueError(f"Volume '{volumeNode.GetName()}' has {imageData.GetNumberOfScalarComponents()} "
                             "components; SlicerBridge segments scalar volumes only.")
        if imageData.GetScalarType() not in SENDABLE_SCALAR_TYPES:
            raise ValueError(f"Volume '{volumeNode.GetName()}' has scalar type {imageData.GetScalarTypeAsString()}, "
                             "which OpenIGTLink cannot carry reliably; cast it to short or float first "
                             "(Volumes module > Volume Information, or Cast Scalar Volume).")
        device = names.device_name(volumeNode.GetName())
        if device.endswith(names.PRIOR_SUFFIX):
            raise ValueError(f"Volume '{volumeNode.GetName()}' ends with '{names.PRIOR_SUFFIX}', which the server reads "
                             "as a starting mask, not a volume; rename the volume.")
        self._collectDigests()
        mtime = imageData.GetMTime()
        matrix = vtk.vtkMatrix4x4()
        volumeNode.GetIJKToRASMatrix(matrix)
        ijkToRas = slicer.util.arrayFromVTKMatrix(matrix)
        geometry = geometry_key(ijkToRas)
        plan = self.volumeSync.plan(device, mtime, geometry)
        if plan == CHECK and (device, mtime) in self._failedDigests:
            plan = PUSH  # the voxels could not be hashed: push rather than guess
        elif plan == CHECK:
            if not self._digest(device, mtime, volumeNode, imageData, ijkToRas):
                return device, None
            plan = self.volumeSync.plan(device, mtime, geometry)
        if plan != PUSH:
            return device, False
        self._pushNode(volumeNode)
        self._ourDevices.add(device)
        self.volumeSync.mark_sent(device, mtime, geometry)
        if self.volumeSync.known_digest(device, mtime) is None:
            self._digest(device, mtime, volumeNode, imageData, ijkToRas)  # for a later "touched" check
        return device, True

    def _digest(self, device, mtime, volumeNode, imageData, ijkToRas):
        """Hashes the voxels now when small (returns True), else starts a background hash (False)."""
        array = slicer.util.arrayFromVolume(volumeNode)  # a view of the image memory, no copy
        if array.nbytes <= SYNC_DIGEST_MAX_BYTES:
            self.volumeSync.digest_ready(device, mtime, volume_digest(array, ijkToRas))
            return True
        self._digestSources[(device, mtime)] = imageData  # keeps the memory alive while hashing
        self.digests.start(device, mtime, array, ijkToRas)
        return False

    def _collectDigests(self):
        for device, mtime, digest in self.digests.collect():
            imageData = self._digestSources.pop((device, mtime), None)
            if digest is None:
                self._failedDigests.add((device, mtime))
            elif imageData is not None and imageData.GetMTime() == mtime:  # not modified while hashed
                self.volumeSync.digest_ready(device, mtime, digest)

    def _pushNode(self, node):
        connector = self.connectorNode()
        connector.RegisterOutgoingMRMLNode(node)
        connector.PushNode(node)
        connector.UnregisterOutgoingMRMLNode(node)

    def pushPrior(self, volumeNode, volumeDevice, mask):
        """Sends `mask` (a 0/1 array on the volume's voxel grid, KJI order) as the initial mask for
        refining a segment: IMAGE uint8 `<volume[:14]>_prior` with the volume's IJK-to-RAS
        (docs/protocol.md). A scalar volume node carries it: the connector pushes only "Volume" and
        "VectorVolume" nodes as IMAGE, never labelmaps (vtkMRMLIGTLConnectorNode::GetDeviceTypeFromMRMLNodeType)."""
        self._requireConnected()
        name = names.prior_device_name(volumeDevice)
        node = slicer.mrmlScene.GetFirstNodeByName(name)
        if node is None or not node.IsA("vtkMRMLScalarVolumeNode") or node.IsA("vtkMRMLLabelMapVolumeNode"):
            node = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name)
            node.SetHideFromEditors(True)
            node.SetSaveWithScene(False)
        slicer.util.updateVolumeFromArray(node, (np.asarray(mask) != 0).astype(np.uint8))
        matrix = vtk.vtkMatrix4x4()
        volumeNode.GetIJKToRASMatrix(matrix)
        node.SetIJKToRASMatrix(matrix)
        self._pushNode(node)
        self._ourDevices.add(name)
        return name

    def worldToVolumeMatrix(self, volumeNode):
        """4x4 numpy matrix from world RAS to the volume's local RAS (the frame of the IJK-to-RAS that
        is pushed). Prompts and ROI are in world RAS and must be converted with it. A non-linear
        parent transform cannot be applied to a box or expressed by the pushed geometry: refused."""
        transformNode = volumeNode.GetParentTransformNode()
        if transformNode is None:
            return np.eye(4)
        if not transformNode.IsTransformToWorldLinear():
            raise ValueError(f"Volume '{volumeNode.GetName()}' is under the non-linear transform "
                             f"'{transformNode.GetName()}'. SlicerBridge needs a linear one: harden the transform "
                             "on the volume (Data module, right-click > Harden transform) or remove it.")
        volumeToWorld = vtk.vtkMatrix4x4()
        transformNode.GetMatrixTransformToWorld(volumeToWorld)
        return geometry.world_to_local(slicer.util.arrayFromVTKMatrix(volumeToWorld))

    def resultNode(self, volumeDevice):
        """The labelmap the server's IMAGE lands in; pre-created because Slicer never makes labelmaps
        from IMAGE messages (openigtlink.md §2.5). The connector finds it by name among scalar volume
        nodes (a labelmap is one)."""
        name = names.result_device_name(volumeDevice)
        self._ourDevices.add(name)
        for node in slicer.util.getNodesByClass("vtkMRMLLabelMapVolumeNode"):
            if node.GetName() == name:
                return node
        node = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", name)
        node.SetAttribute(RESULT_ATTRIBUTE, volumeDevice)
        node.SetHideFromEditors(True)
        return node

    def promptNode(self, nodeName):
        """Hidden helper markups node holding world-RAS prompt positions (sent as POINT)."""
        node = slicer.mrmlScene.GetFirstNodeByName(nodeName)
        if node is None or not node.IsA("vtkMRMLMarkupsFiducialNode"):
            node = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", nodeName)
            node.SetHideFromEditors(True)
            node.SetSaveWithScene(False)
            node.CreateDefaultDisplayNodes()
            node.GetDisplayNode().SetVisibility(False)
        return node

    def pushPrompts(self, positive, negative):
        """Sends the whole prompt point set ((N, 3) RAS each, in the volume's frame) as ONE POINT
        message, so that one edit starts one segmentation; negative points are named "-<n>"."""
        self._requireConnected()
        node = self.promptNode(names.PROMPT_NODE_NAME)
        wasModifying = node.StartModify()
        node.RemoveAllControlPoints()
        for label, ras in prompts.prompt_point_elements(positive, negative):
            node.AddControlPoint(vtk.vtkVector3d(*ras), label)
        node.EndModify(wasModifying)
        self._pushNode(node)  # explicit: removing points does not always trigger a push

    # ---- live streams ---------------------------------------------------------------------------------

    def incomingImageNames(self):
        """Names of the scalar volumes the connector made from incoming IMAGE messages (stream candidates)."""
        connector = self.connectorNode()
        if connector is None:
            return []
        result = []
        for index in range(connector.GetNumberOfIncomingMRMLNodes()):
            node = connector.GetIncomingMRMLNode(index)
            if node is not None and node.IsA("vtkMRMLScalarVolumeNode") and not node.IsA("vtkMRMLLabelMapVolumeNode"):
                result.append(node.GetName())
        return result

    def livePrompts(self, roiNode, pointsNode):
        """(box, points) for StartStream in world RAS (the relayed frames carry their own IJK-to-RAS):
        box = the ROI's two corners or None; points = [(ras, positive)], "-"-named points negative."""
        box = None
        size = np.asarray(roiNode.GetSize(), dtype=float) if roiNode is not None else np.zeros(3)
        if np.all(size >= 0) and np.any(size > 0):  # size 0 = still being placed
            objectToWorld = np.asarray(slicer.util.arrayFromVTKMatrix(roiNode.GetObjectToWorldMatrix()), dtype=float)
            corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]) * size
            world = corners @ objectToWorld[:3, :3].T + objectToWorld[:3, 3]
            box = (tuple(world.min(axis=0)), tuple(world.max(axis=0)))
        points = []
        if pointsNode is not None:
            for index in range(pointsNode.GetNumberOfControlPoints()):
                if (pointsNode.GetNthControlPointPositionStatus(index) != pointsNode.PositionDefined
                        or not pointsNode.GetNthControlPointVisibility(index)):
                    continue
                ras = [0.0, 0.0, 0.0]
                pointsNode.GetNthControlPointPositionWorld(index, ras)
                points.append((tuple(ras), not names.is_negative_point(pointsNode.GetNthControlPointLabel(index) or "")))
        if box is None and not any(positive for _, positive in points):
            raise ValueError("Draw a box (ROI) or click at least one positive point on the live image first.")
        return box, points

    # ---- server STATUS messages -------------------------------------------------------------------

    @vtk.calldata_type(vtk.VTK_OBJECT)
    def _onNodeAdded(self, caller, event, node):
        if node is None or not node.IsA("vtkMRMLIGTLStatusNode"):
            return
        if (node.GetName() or "") in self._ourDevices:
            # The connector makes one STATUS node per device name it gets a STATUS for; ours are
            # answers to our own messages, shown in the panels, not scene content.
            node.SetHideFromEditors(True)
            node.SetSaveWithScene(False)
        self.addObserver(node, vtk.vtkCommand.ModifiedEvent, self._onStatusNodeModified)

    def _onStatusNodeModified(self, statusNode, event):
        code = statusNode.GetCode()
        if code in (0, 1):
            return
        self._notify(replies.describe_status(code, statusNode.GetErrorName() or "",
                                             statusNode.GetStatusString() or ""), True)


def _call(callback, *args):
    try:
        callback(*args)
    except Exception:
        logging.exception("SlicerBridge callback failed")


#
# SlicerBridgeTest
#

class SlicerBridgeTest(ScriptedLoadableModuleTest):
    """Runs in Slicer (Reload and Test). Exercises the logic without a server: names, parameter node,
    prompt helper nodes, result node and the refusal to send when disconnected."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_ResultAndPromptNodes()
        self.setUp()
        self.test_RefusesWhenDisconnected()
        self.setUp()
        self.test_LivePrompts()

    def test_ResultAndPromptNodes(self):
        logic = SlicerBridgeLogic()
        node = logic.resultNode("MRHeadWithALongName")
        self.assertEqual(node.GetName(), "MRHeadWithALongN_seg")
        self.assertTrue(node.IsA("vtkMRMLLabelMapVolumeNode"))
        self.assertIs(logic.resultNode("MRHeadWithALongName"), node)
        prompt = logic.promptNode(names.PROMPT_NODE_NAME)
        self.assertFalse(prompt.GetDisplayNode().GetVisibility())
        params = logic.getParameterNode()
        self.assertEqual(params.port, settings.DEFAULT_PORT)

    def test_RefusesWhenDisconnected(self):
        logic = SlicerBridgeLogic()
        self.assertFalse(logic.isConnected())
        with self.assertRaises(ConnectionError):
            logic.getStatus(lambda reply: None)
        volume = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "V")
        slicer.util.updateVolumeFromArray(volume, np.zeros((2, 3, 4), dtype=np.int16))
        with self.assertRaises(ConnectionError):
            logic.syncVolume(volume)

    def test_LivePrompts(self):
        logic = SlicerBridgeLogic()
        roi = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsROINode", "Box")
        roi.SetCenter(10, 20, 30)
        roi.SetSize(4, 6, 0)
        points = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "Clicks")
        points.AddControlPoint(vtk.vtkVector3d(1, 2, 30), "F-1")
        points.AddControlPoint(vtk.vtkVector3d(3, 4, 30), "-1")
        box, prompts = logic.livePrompts(roi, points)
        np.testing.assert_allclose(box, ((8, 17, 30), (12, 23, 30)))
        self.assertEqual([positive for _, positive in prompts], [True, False])
        with self.assertRaises(ValueError):
            logic.livePrompts(None, None)
