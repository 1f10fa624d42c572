using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SlicerBridge.Host.Networking;
using SlicerBridge.Host.Requests;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Server;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Host.Streaming;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Connections;

/// <summary>
/// One connected client (docs/protocol.md): reads messages in order, hands each to its <see cref="SessionState"/>,
/// submits the segmentations it plans without blocking the reader (so a newer POINT can supersede an older one), and
/// sends the replies (<see cref="Replies"/>). Bad input is answered and the session goes on; only a broken stream ends it.
/// </summary>
public sealed class ClientSession : IAsyncDisposable
{
    private readonly AcceptedClient _client;
    private readonly BridgeServer _server;
    private readonly ILogger _logger;
    private readonly NetworkStream _stream;
    private readonly ReplyChannel _replies;
    private readonly BackgroundWork _work;
    private readonly CancellationTokenSource _sessionCts;
    private readonly SessionState _state;
    private readonly SessionStreamSubscriber _subscriber;

    public ClientSession(AcceptedClient client, BridgeServer server, ILogger logger, CancellationToken closing)
    {
        _client = client;
        _server = server;
        _logger = logger;
        _stream = new NetworkStream(client.Socket, ownsSocket: false);
        var writeTimeout = server.Options.Server.WriteTimeoutSeconds is > 0 and var s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
        _replies = new ReplyChannel(new WriteDeadlineStream(_stream, writeTimeout), client.ConnectionId, logger,
            server.Options.Server.MaxReplyBytesInFlight, Abort);
        _work = new BackgroundWork(client.ConnectionId, logger);
        _subscriber = new SessionStreamSubscriber(client.RemoteEndPoint?.ToString() ?? $"connection {client.ConnectionId}", _replies, _work);
        _sessionCts = CancellationTokenSource.CreateLinkedTokenSource(closing);
        _state = new SessionState(client.ConnectionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            server.Cache, server.Models, server.Options.Models.Default)
        {
            UndoLimits = new UndoLimits(server.Options.Server.MaxUndoDepth, server.Options.Server.MaxUndoBytes),
        };
    }

    private long Id => _client.ConnectionId;

    public async Task RunAsync(ServerShutdown shutdown)
    {
        _server.SessionOpened();
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["ConnectionId"] = Id, ["Client"] = _client.RemoteEndPoint });
        using var readCts = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Draining, _sessionCts.Token);
        var reader = new IgtlMessageReader(_stream, _server.ReaderOptions, _server.PixelPool);
        try
        {
            await ReadLoopAsync(reader, readCts.Token);
        }
        catch (OperationCanceledException) when (readCts.IsCancellationRequested) { }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            _logger.LogInformation("Connection {ConnectionId}: client stream ended ({Reason})", Id, ex.Message);
        }
        _server.Relay?.Stop(_subscriber); // the client's stream ends with its connection
        if (shutdown.Draining.IsCancellationRequested)
        {
            // Graceful stop: let in-flight work finish (or be cancelled at the deadline), then say goodbye.
            await _work.WaitAsync();
            await _replies.SendAsync(Replies.ShuttingDown());
        }
        else
        {
            _sessionCts.Cancel(); // client gone: its queued and running jobs are cancelled
            await _work.WaitAsync();
        }
    }

    private async Task ReadLoopAsync(IgtlMessageReader reader, CancellationToken token)
    {
        while (true)
        {
            IgtlMessage? message;
            try
            {
                message = await reader.ReadAsync(token);
            }
            catch (IgtlProtocolException ex)
            {
                if (!await RejectFrameAsync(ex)) return;
                continue;
            }
            if (message is null) return;
            using (message)
            {
                _replies.SawHeaderVersion(message.HeaderVersion);
                try
                {
                    await DispatchAsync(message);
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or IOException or SocketException or ObjectDisposedException))
                {
                    // A bug, not bad input: logged with its stack, answered as an internal error, and the session goes on.
                    _logger.LogError(ex, "Connection {ConnectionId}: {Type} '{Device}' failed", Id, message.MessageType, message.DeviceName);
                    await _replies.SendAsync(Replies.InternalError(message.DeviceName, $"{ex.GetType().Name}: {ex.Message}"));
                }
            }
        }
    }

    /// <summary>Answers a message the reader rejected; false when the connection must close (framing lost or peer gone).</summary>
    private async Task<bool> RejectFrameAsync(IgtlProtocolException ex)
    {
        string device = ex switch
        {
            IgtlChecksumMismatchException c => c.Header.DeviceName,
            IgtlMalformedMessageException m => m.Header.DeviceName,
            _ => "",
        };
        var code = ex switch
        {
            IgtlTimeoutException => IgtlStatusCode.TimeOut,
            IgtlChecksumMismatchException => IgtlStatusCode.ChecksumError,
            IgtlLimitExceededException => IgtlStatusCode.Overflow,
            _ => IgtlStatusCode.ConfigurationError,
        };
        _logger.LogWarning("Connection {ConnectionId}: rejected message from '{Device}': {Reason} {Error}", Id, device, ex.Reason, ex.Message);
        if (ex is IgtlTruncatedMessageException) return false; // the peer closed mid-message: nothing to answer
        await _replies.SendAsync(new StatusMessage { DeviceName = device, Code = code, ErrorName = ex.Reason.ToString(), Message = ex.Message });
        if (ex.FramingIntact) return true;
        // Cannot find the next message (or the client stopped sending): close this connection only, after the STATUS.
        _logger.LogWarning("Connection {ConnectionId}: closing after {Reason}", Id, ex.Reason);
        await LingerAsync();
        return false;
    }

    private Task DispatchAsync(IgtlMessage message) => message.Kind switch
    {
        IgtlMessageKind.Image => OnImageAsync((ImageMessage)message),
        IgtlMessageKind.Point => OnPointsAsync((PointMessage)message),
        IgtlMessageKind.Command => OnCommandAsync((CommandMessage)message),
        IgtlMessageKind.GetStatus => _replies.SendAsync(new StatusMessage
        {
            DeviceName = message.DeviceName, Code = IgtlStatusCode.Ok, ErrorName = "", Message = StatusReport.Status(_server, _state).ToJsonString(),
        }),
        IgtlMessageKind.GetCapability => SendCapabilityAsync(message.DeviceName),
        // Any other query asks for something this server does not serve: say so rather than leave the client waiting.
        IgtlMessageKind.OtherQuery => ReplyStatusAsync(message.DeviceName, Outcome<bool>.Rejected(new Rejection(RejectionKind.UnknownInstruction,
            $"{message.MessageType} is not served by SlicerBridge; it answers GET_STATUS and GET_CAPABIL (see the CAPABILITY reply)."))),
        _ => Task.CompletedTask, // STATUS (incl. Slicer's empty-name "dummy"), unknown and unused types are ignored
    };

    /// <summary>What this server reads or answers.</summary>
    private static readonly IgtlMessageKind[] Served =
    [
        IgtlMessageKind.Image, IgtlMessageKind.Point, IgtlMessageKind.Command, IgtlMessageKind.Status, IgtlMessageKind.GetStatus,
        IgtlMessageKind.GetCapability, IgtlMessageKind.RtsCommand, IgtlMessageKind.Capability,
    ];

    private Task SendCapabilityAsync(string device)
    {
        var capability = new CapabilityMessage { DeviceName = device };
        capability.Types.AddRange(Served.Select(IgtlMessageKinds.NameOf));
        return _replies.SendAsync(capability);
    }

    private Task ReplyStatusAsync<T>(string device, Outcome<T> outcome)
    {
        if (outcome.Kind == OutcomeKind.Rejected)
            _logger.LogWarning("Connection {ConnectionId}: '{Device}' rejected: {Reason} {Error}", Id, device, outcome.Rejection!.ErrorName, ReplyText.Fit(outcome.Message!));
        return Replies.Status(device, outcome) is { } status ? _replies.SendAsync(status) : Task.CompletedTask;
    }

    private Task OnImageAsync(ImageMessage image)
    {
        if (SessionState.IsPriorName(image.DeviceName)) return OnPriorAsync(image);
        var converted = ImageVolumeConverter.ToVolume(image);
        if (!converted.IsDone) return ReplyStatusAsync(image.DeviceName, converted);
        var volume = converted.Value!;
        var received = _state.ReceiveVolume(volume);
        if (received.IsDone)
            _logger.LogInformation("Connection {ConnectionId}: volume '{Volume}' {Geometry} ({Type}) is the target",
                Id, volume.Name, volume.Geometry, volume.SourceType);
        return ReplyStatusAsync(image.DeviceName, received);
    }

    /// <summary>A mask to refine (docs/protocol.md, "Refining an existing segment"): kept for its volume, answered only when refused.</summary>
    private Task OnPriorAsync(ImageMessage image)
    {
        var converted = ImageVolumeConverter.ToPrior(image);
        if (!converted.IsDone) return ReplyStatusAsync(image.DeviceName, converted);
        var received = _state.ReceivePrior(image.DeviceName, converted.Value.Geometry, converted.Value.Voxels);
        if (received.IsDone)
            _logger.LogInformation("Connection {ConnectionId}: prior '{Device}' for volume '{Volume}': {Voxels} voxels inside",
                Id, image.DeviceName, received.Value!.Volume, received.Value.InsideVoxels);
        return ReplyStatusAsync(image.DeviceName, received);
    }

    private Task OnPointsAsync(PointMessage message)
    {
        bool negativeDevice = message.DeviceName.EndsWith('-');
        var points = new List<IncomingPoint>();
        foreach (var p in message.Points)
        {
            if (p.A == 0) continue; // hidden in Slicer
            string label = p.Name.Length > 0 ? $"'{p.Name}'" : $"#{points.Count}";
            points.Add(new IncomingPoint(new Vec3(p.X, p.Y, p.Z), !(negativeDevice || p.Name.StartsWith('-')), $"POINT '{message.DeviceName}' point {label}"));
        }
        // While streaming, clicks re-prompt the live stream instead of segmenting the session's volume.
        if (points.Count > 0 && _server.Relay?.Reprompt(_subscriber, null, [.. points.Select(p => new PromptPoint(p.Ras, p.Positive))]) == true)
            return Task.CompletedTask;
        var planned = _state.ApplyPoints(message.DeviceName, points);
        if (planned.Rejection?.Kind == RejectionKind.NoPositivePoint && _state.TargetName is { } target)
            CancelJobsOf(target); // a newer (empty) point set also supersedes whatever was still running for this volume
        if (!planned.IsDone) return ReplyStatusAsync(message.DeviceName, planned);
        var plan = planned.Value!;
        var job = Submit(plan);
        string device = message.DeviceName;
        _work.Track(async () =>
        {
            var (done, _) = await FinishAsync(plan, job);
            await ReplyStatusAsync(device, done);
        });
        return Task.CompletedTask;
    }

    private async Task OnCommandAsync(CommandMessage command)
    {
        _logger.LogInformation("Connection {ConnectionId}: COMMAND {CommandId} {Name}", Id, command.CommandId, command.CommandName);
        // Copy what the reply needs: the message is disposed when this method returns, long before a Segment ends.
        var request = new CommandMessage { DeviceName = command.DeviceName, CommandId = command.CommandId, CommandName = command.CommandName };
        Outcome<JsonObject> outcome;
        try
        {
            SessionRequest parsed;
            try { parsed = RequestParser.Parse(command.CommandName, command.Content); }
            catch (MalformedRequestException ex) { parsed = new MalformedRequest(ex.Message); }
            if (parsed is SegmentRequest segment)
            {
                var planned = _state.PlanSegment(segment);
                if (planned.IsDone)
                {
                    var plan = planned.Value!;
                    var job = Submit(plan);
                    _work.Track(async () =>
                    {
                        var (done, timings) = await FinishAsync(plan, job);
                        await ReplyAsync(request, done.IsDone ? Replies.SegmentResult(done.Value!, timings) : done.Forward<JsonObject>());
                    });
                    return;
                }
                outcome = planned.Forward<JsonObject>();
            }
            else outcome = await ExecuteAsync(parsed);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or IOException or SocketException or ObjectDisposedException))
        {
            _logger.LogError(ex, "Connection {ConnectionId}: COMMAND {CommandId} {Name} failed", Id, request.CommandId, request.CommandName);
            outcome = Outcome<JsonObject>.Failed($"{ex.GetType().Name}: {ex.Message}");
        }
        await ReplyAsync(request, outcome);
    }

    /// <summary>A COMMAND that could not be parsed, carried to the reply like any other request.</summary>
    private sealed record MalformedRequest(string Error) : SessionRequest;

    private async Task<Outcome<JsonObject>> ExecuteAsync(SessionRequest request)
    {
        switch (request)
        {
            case MalformedRequest m:
                return new Rejection(RejectionKind.MalformedRequest, m.Error);
            case SetRoiRequest { Roi: { } box } when _server.Relay?.Reprompt(_subscriber, box, []) == true:
                return new JsonObject { ["stream"] = true, ["roi"] = StatusReport.Roi(box) };
            case SetRoiRequest c:
            {
                var changed = _state.SetRoi(c.Volume, c.Roi);
                if (!changed.IsDone) return changed.Forward<JsonObject>();
                var roi = changed.Value!;
                // Warm the model up for this ROI in the background (a SAM-Med3D embedding), so the first click only decodes.
                if (roi.Roi is not null && roi.WarmUp is not null)
                    _server.Prepare.Post(new PrepareRequest(roi.Model, roi.WarmUp, roi.Roi, _sessionCts.Token));
                return new JsonObject { ["volume"] = roi.Volume, ["roi"] = roi.Roi is null ? null : StatusReport.Roi(roi.Roi) };
            }
            case SetModelRequest c:
            {
                if (!_server.Models.IsKnown(c.Model)) return _state.SetModel(c.Model).Forward<JsonObject>();
                try { _server.Models.Acquire(c.Model).Dispose(); } // load now, so a broken checkpoint fails here and not on the next click
                catch (ModelUnavailableException ex) { return new Rejection(RejectionKind.ModelUnavailable, ex.Message); }
                var set = _state.SetModel(c.Model);
                return set.IsDone ? new JsonObject { ["model"] = set.Value } : set.Forward<JsonObject>();
            }
            case SetTargetRequest c:
            {
                var set = _state.SetTarget(c.Volume);
                return set.IsDone ? new JsonObject { ["volume"] = set.Value } : set.Forward<JsonObject>();
            }
            case UndoRequest c:
            {
                var undone = _state.Undo(c.Volume);
                if (!undone.IsDone) return undone.Forward<JsonObject>();
                await SendHistoryAsync(undone.Value!);
                return new JsonObject { ["volume"] = undone.Value!.Volume, ["depth"] = undone.Value.Depth };
            }
            case ResetRequest c:
            {
                var reset = _state.Reset(c.Volume);
                if (!reset.IsDone) return reset.Forward<JsonObject>();
                await SendHistoryAsync(reset.Value!);
                return new JsonObject();
            }
            case StartStreamCommand c:
                return StartStream(c.Stream);
            case StopStreamCommand:
                return new JsonObject { ["stopped"] = _server.Relay?.Stop(_subscriber) ?? false };
            case ListModelsRequest:
                return StatusReport.ModelList(_server);
            default:
                return StatusReport.Status(_server, _state);
        }
    }

    private Outcome<JsonObject> StartStream(StartStreamRequest request)
    {
        if (_server.Relay is not { } relay) return new Rejection(RejectionKind.UnknownInstruction, "This server has no streaming relay.");
        try { relay.Start(request, _subscriber); }
        catch (ModelUnavailableException ex) { return new Rejection(RejectionKind.ModelUnavailable, ex.Message); }
        catch (ArgumentException ex) { return new Rejection(RejectionKind.MalformedRequest, ex.Message); }
        return new JsonObject { ["device"] = request.Device, ["model"] = request.Model ?? _server.Relay.DefaultModel };
    }

    private async Task SendHistoryAsync(HistoryChange change)
    {
        CancelJobsOf(change.Volume);
        await _replies.SendAsync(Replies.LabelmapImage(change.Labelmap, default));
    }

    private void CancelJobsOf(string volume)
    {
        string key = _state.SupersedeKey(volume);
        _server.Queue.CancelWhere(j => j.SupersedeKey == key);
    }

    /// <summary>
    /// Queues a planned segmentation. Runs synchronously on the reader loop so jobs are submitted in message order
    /// (the newest POINT must be the one that supersedes, never the other way round).
    /// </summary>
    private InferenceJob Submit(SegmentationPlan plan) =>
        _server.Queue.Submit(new InferenceJob(plan.SupersedeKey, plan.RequestId, plan.Model, plan.Request, _sessionCts.Token));

    /// <summary>Waits for a queued segmentation, records it in the session and sends its labelmap.</summary>
    private async Task<(Outcome<SegmentationDone> Done, JobTimings Timings)> FinishAsync(SegmentationPlan plan, InferenceJob job)
    {
        var outcome = await job.Completion;
        var done = _state.Record(plan, outcome);
        switch (done.Kind)
        {
            case OutcomeKind.Done:
                await _replies.SendAsync(Replies.LabelmapImage(done.Value!.Labelmap, outcome.Timings));
                _logger.LogInformation("Connection {ConnectionId}: {RequestId} on '{Volume}' with {Model}: {Voxels} voxels, queue {QueueMs:0.0} ms, total {TotalMs:0.0} ms",
                    Id, plan.RequestId, plan.Slot.Name, plan.Model, done.Value.Voxels, outcome.Timings.QueueMs, outcome.Timings.TotalMs);
                break;
            case OutcomeKind.Failed:
                _logger.LogError("Connection {ConnectionId}: {RequestId} failed: {Error}", Id, plan.RequestId, done.Message);
                break;
        }
        return (done, outcome.Timings);
    }

    private Task ReplyAsync(CommandMessage request, Outcome<JsonObject> outcome)
    {
        if (!outcome.IsDone)
            _logger.LogWarning("Connection {ConnectionId}: COMMAND {CommandId} {Name} failed: {Error}", Id, request.CommandId, request.CommandName, ReplyText.Fit(outcome.Message!));
        return _replies.SendAsync(Replies.Rts(request, outcome));
    }

    /// <summary>Cuts the connection off (a client that does not read its replies): the read loop ends, stuck writes fail.</summary>
    private void Abort()
    {
        try { _client.Socket.Shutdown(SocketShutdown.Both); }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
    }

    /// <summary>
    /// Half-closes and discards what the client is still sending (briefly): closing a socket with unread input
    /// sends a reset, which would make the client drop the STATUS explaining why.
    /// </summary>
    private async Task LingerAsync()
    {
        try
        {
            _client.Socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var sink = new byte[64 * 1024];
            while (await _stream.ReadAsync(sink, timeout.Token) > 0) { }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _replies.DisposeAsync();
        _state.Close();
        _server.SessionClosed();
        _sessionCts.Dispose();
        await _stream.DisposeAsync();
    }
}
