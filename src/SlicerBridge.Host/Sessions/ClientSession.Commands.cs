using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SlicerBridge.Host.Commands;
using SlicerBridge.Host.Hosting;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Sessions;

public sealed partial class ClientSession
{
    private async Task OnCommandAsync(CommandMessage command)
    {
        _logger.LogInformation("Connection {ConnectionId}: COMMAND {CommandId} {Name}", _client.ConnectionId, command.CommandId, command.CommandName);
        // Copy what the reply needs: the message is disposed when this method returns, long before a Segment ends.
        var request = new CommandMessage { DeviceName = command.DeviceName, CommandId = command.CommandId, CommandName = command.CommandName };
        try
        {
            BridgeCommand parsed = CommandParser.Parse(command.CommandName, command.Content);
            if (parsed is SegmentCommandRequest segment)
            {
                var run = PrepareSegment(segment);
                PendingSegmentation pending;
                try { pending = Submit(run.Slot, run.Model, run.Points, run.RequestId, run.Output); }
                catch (SegmentationFailedException ex) { throw new CommandException(ex.Message); }
                Track(async () =>
                {
                    try
                    {
                        var s = await CompleteAsync(pending);
                        await ReplyAsync(request, new JsonObject
                        {
                            ["requestId"] = s.RequestId, ["output"] = s.Output, ["voxels"] = s.Voxels, ["model"] = s.Model,
                            ["timings"] = new JsonObject
                            {
                                ["queueMs"] = s.Timings.QueueMs, ["prepareMs"] = s.Timings.PrepareMs, ["inferMs"] = s.Timings.InferMs,
                                ["postMs"] = s.Timings.PostMs, ["totalMs"] = s.Timings.TotalMs,
                            },
                        });
                    }
                    catch (SegmentationFailedException ex) { await FailAsync(request, ex.Message); }
                });
                return;
            }
            JsonObject result = await ExecuteAsync(parsed);
            await ReplyAsync(request, result);
        }
        catch (CommandException ex) { await FailAsync(request, ex.Message); }
    }

    private sealed record PreparedSegment(VolumeSlot Slot, string Model, IReadOnlyList<PromptPoint> Points, string RequestId, string Output);

    private PreparedSegment PrepareSegment(SegmentCommandRequest c)
    {
        string model = c.Model ?? _model;
        if (!_server.Models.IsKnown(model))
            throw new CommandException($"Unknown model '{model}'. Available: {string.Join(", ", _server.Models.Names)}.");
        lock (_gate)
        {
            VolumeSlot slot = ResolveVolume(c.Volume);
            if (c.Points is { } points)
            {
                for (int n = 0; n < points.Count; n++)
                    if (!slot.Geometry.ContainsContinuous(slot.Geometry.RasToIjkPoint(points[n].Ras)))
                        throw new CommandException($"points[{n}] at RAS {points[n].Ras} lies outside volume '{slot.Name}'.");
                slot.PointsByDevice.Clear();
                slot.PointsByDevice["Segment"] = [.. points];
            }
            if (c.Roi is not null) slot.Roi = c.Roi;
            var all = slot.AllPoints();
            if (!all.Any(p => p.Positive))
                throw new CommandException($"Segment needs at least one positive point for '{slot.Name}' (in \"points\" or sent as POINT).");
            if (c.Model is not null) _model = c.Model;
            int run = ++slot.RunCounter;
            return new PreparedSegment(slot, model, all, c.RequestId ?? $"{slot.Name}#{run}", c.Output ?? ImageVolumeConverter.ResultDeviceName(slot.Name));
        }
    }

    private async Task<JsonObject> ExecuteAsync(BridgeCommand command)
    {
        switch (command)
        {
            case SetRoiCommand c:
            {
                VolumeSlot slot;
                string contentKey, model;
                lock (_gate)
                {
                    slot = ResolveVolume(c.Volume);
                    slot.Roi = c.Roi;
                    contentKey = slot.ContentKey;
                    model = _model;
                }
                // Warm the model up for this ROI in the background (a SAM-Med3D embedding), so the first click only decodes.
                if (c.Roi is not null)
                {
                    try { _server.Prepare.Post(new PrepareRequest(model, _server.Cache.Get(contentKey, slot.Name), c.Roi, _sessionCts.Token)); }
                    catch (VolumeEvictedException) { }
                }
                return new JsonObject { ["volume"] = slot.Name, ["roi"] = c.Roi is null ? null : RoiJson(c.Roi) };
            }
            case SetModelCommand c:
                if (!_server.Models.IsKnown(c.Model))
                    throw new CommandException($"Unknown model '{c.Model}'. Available: {string.Join(", ", _server.Models.Names)}.");
                try { _server.Models.Acquire(c.Model).Dispose(); } // load now, so a broken checkpoint fails here and not on the next click
                catch (ModelUnavailableException ex) { throw new CommandException(ex.Message); }
                lock (_gate) _model = c.Model;
                return new JsonObject { ["model"] = c.Model };
            case SetTargetCommand c:
                return SetTarget(c.Volume);
            case UndoCommand c:
                return await UndoAsync(c.Volume);
            case ResetCommand c:
                return await ResetAsync(c.Volume);
            case ListModelsCommand:
                return new JsonObject { ["default"] = _server.Options.Models.Default, ["models"] = ModelsJson(_server.Models.List()) };
            default:
                return JsonNode.Parse(StatusJson())!.AsObject();
        }
    }

    /// <summary>The named volume of this session, or the target when no name is given. Caller holds <see cref="_gate"/>.</summary>
    private VolumeSlot ResolveVolume(string? name)
    {
        if (name is null)
            return _target ?? throw new CommandException("No volume has been sent yet; send an IMAGE first.");
        return _volumes.TryGetValue(name, out var slot) ? slot
            : throw new CommandException($"Unknown volume '{name}'. This session has: {(_volumes.Count == 0 ? "none" : string.Join(", ", _volumes.Keys))}.");
    }

    private JsonObject SetTarget(string name)
    {
        string? unpin;
        VolumeSlot slot;
        lock (_gate)
        {
            slot = ResolveVolume(name);
            if (ReferenceEquals(slot, _target)) return new JsonObject { ["volume"] = slot.Name };
            try { _server.Cache.Pin(slot.ContentKey); }
            catch (VolumeEvictedException ex) { throw new CommandException(ex.Message.Replace(slot.ContentKey, slot.Name)); }
            unpin = _target?.ContentKey;
            _target = slot;
        }
        if (unpin is not null) _server.Cache.Unpin(unpin);
        return new JsonObject { ["volume"] = slot.Name };
    }

    private async Task<JsonObject> UndoAsync(string? name)
    {
        VolumeSlot slot;
        byte[] mask;
        int depth;
        string output;
        lock (_gate)
        {
            slot = ResolveVolume(name);
            if (slot.History.Count > 0) slot.History.Pop();
            slot.PointsByDevice.Clear();
            if (slot.History.TryPeek(out var previous))
            {
                mask = previous.Mask;
                foreach (var (device, points) in previous.Points) slot.PointsByDevice[device] = [.. points];
                slot.ModelState = previous.State;
                slot.ModelStateOwner = previous.Model;
            }
            else
            {
                mask = new byte[slot.Geometry.VoxelCount];
                slot.ModelState = null;
                slot.ModelStateOwner = null;
            }
            depth = slot.History.Count;
            output = slot.Output;
        }
        _server.Queue.CancelWhere(j => j.SupersedeKey == SupersedeKey(slot.Name));
        await SendLabelmapAsync(output, mask, slot.Geometry, $"{slot.Name}#undo", _model, default);
        return new JsonObject { ["volume"] = slot.Name, ["depth"] = depth };
    }

    private async Task<JsonObject> ResetAsync(string? name)
    {
        VolumeSlot slot;
        string output;
        lock (_gate)
        {
            slot = ResolveVolume(name);
            slot.Reset();
            output = slot.Output;
        }
        _server.Queue.CancelWhere(j => j.SupersedeKey == SupersedeKey(slot.Name));
        await SendLabelmapAsync(output, new byte[slot.Geometry.VoxelCount], slot.Geometry,
            $"{slot.Name}#reset", _model, default);
        return [];
    }

    private static JsonArray ModelsJson(IReadOnlyList<ModelInfo> models) => [.. models.Select(m => (JsonNode)new JsonObject
    {
        ["name"] = m.Name, ["kind"] = m.Kind, ["description"] = m.Description, ["loaded"] = m.Loaded, ["device"] = ModelDevices.Of(m),
        ["weightBytes"] = m.WeightBytes, ["cacheBytes"] = m.CacheBytes,
    })];

    private string StatusJson()
    {
        var cache = _server.Cache;
        var models = _server.Models.List();
        string mine = SupersedeKey(""); // "<connection>/": every job of this session
        return new JsonObject
        {
            ["queue"] = new JsonObject
            {
                ["pending"] = _server.Queue.Pending, ["running"] = _server.Queue.Running, ["capacity"] = _server.Queue.Capacity,
                ["position"] = _server.Queue.PositionOf(j => j.SupersedeKey.StartsWith(mine, StringComparison.Ordinal)),
            },
            ["device"] = ModelDevices.Summarize(models),
            ["model"] = _model,
            ["models"] = ModelsJson(models),
            ["cache"] = new JsonObject { ["usedBytes"] = cache.UsedBytes, ["budgetBytes"] = cache.BudgetBytes, ["volumes"] = cache.Count },
            ["sessions"] = _server.Sessions,
            ["version"] = BridgeServer.Version,
        }.ToJsonString();
    }

    private static JsonObject RoiJson(RoiBox roi) => new()
    {
        ["center"] = Vec(roi.Center), ["size"] = Vec(roi.Size),
        ["axes"] = new JsonArray(Vec(roi.AxisX), Vec(roi.AxisY), Vec(roi.AxisZ)),
    };

    private static JsonArray Vec(Vec3 v) => [v.X, v.Y, v.Z];

    private Task ReplyAsync(CommandMessage request, JsonObject content) => SendRtsAsync(request, true, content.ToJsonString(), null);

    private Task FailAsync(CommandMessage request, string error)
    {
        _logger.LogWarning("Connection {ConnectionId}: COMMAND {CommandId} {Name} failed: {Error}", _client.ConnectionId, request.CommandId, request.CommandName, error);
        return SendRtsAsync(request, false, new JsonObject { ["error"] = error }.ToJsonString(), error);
    }

    private Task SendRtsAsync(CommandMessage request, bool ok, string content, string? error)
    {
        var reply = new RtsCommandMessage
        {
            DeviceName = request.DeviceName, CommandId = request.CommandId, CommandName = request.CommandName,
            Content = content, Encoding = content.All(char.IsAscii) ? IgtlMetadata.EncodingUsAscii : IgtlMetadata.EncodingUtf8,
        };
        reply.Metadata.Set("Status", ok ? "SUCCESS" : "FAIL");
        if (error is not null) reply.Metadata.Set("ErrorMessage", error);
        return TrySendAsync(reply);
    }
}
