using System.Globalization;
using Microsoft.Extensions.Logging;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Sessions;

/// <summary>A segmentation that did not produce a labelmap; Code/ErrorName are used for STATUS replies.</summary>
public sealed class SegmentationFailedException(IgtlStatusCode code, string errorName, string message) : Exception(message)
{
    public IgtlStatusCode Code { get; } = code;
    public string ErrorName { get; } = errorName;
}

public sealed partial class ClientSession
{
    /// <summary>What a finished segmentation reports to a Segment command.</summary>
    private sealed record SegmentationSummary(string RequestId, string Output, long Voxels, JobTimings Timings, string Model);

    private Task OnPointsAsync(PointMessage message)
    {
        VolumeSlot slot;
        lock (_gate)
            slot = _target ?? throw new InputRejectedException(IgtlStatusCode.NotFound, "NoVolume",
                $"POINT '{message.DeviceName}' arrived before any volume; send an IMAGE first.");
        bool negativeDevice = message.DeviceName.EndsWith('-');
        var points = new List<PromptPoint>();
        foreach (var p in message.Points)
        {
            if (p.A == 0) continue; // hidden in Slicer
            var ras = new Vec3(p.X, p.Y, p.Z);
            string label = p.Name.Length > 0 ? $"'{p.Name}'" : $"#{points.Count}";
            if (!ras.IsFinite)
                throw new InputRejectedException(IgtlStatusCode.ConfigurationError, "BadPoint", $"POINT '{message.DeviceName}' point {label} has a NaN or infinite coordinate.");
            if (!slot.Geometry.ContainsContinuous(slot.Geometry.RasToIjkPoint(ras)))
                throw new InputRejectedException(IgtlStatusCode.ConfigurationError, "PointOutside",
                    $"POINT '{message.DeviceName}' point {label} at RAS {ras} lies outside volume '{slot.Name}'.");
            points.Add(new PromptPoint(ras, !(negativeDevice || p.Name.StartsWith('-'))));
        }
        IReadOnlyList<PromptPoint> all;
        int run;
        string model;
        lock (_gate)
        {
            if (points.Count == 0) slot.PointsByDevice.Remove(message.DeviceName);
            else slot.PointsByDevice[message.DeviceName] = points;
            all = slot.AllPoints();
            run = ++slot.RunCounter;
            model = _model;
        }
        if (!all.Any(p => p.Positive))
        {
            // A newer (empty) point set also supersedes whatever was still running for this volume.
            _server.Queue.CancelWhere(j => j.SupersedeKey == SupersedeKey(slot.Name));
            throw new InputRejectedException(IgtlStatusCode.NotReady, "NoPositivePoint",
                $"Volume '{slot.Name}' has no positive point yet; nothing to segment.");
        }
        string requestId = $"{slot.Name}#{run}";
        PendingSegmentation pending;
        try { pending = Submit(slot, model, all, requestId, ImageVolumeConverter.ResultDeviceName(slot.Name)); }
        catch (SegmentationFailedException ex) { throw new InputRejectedException(ex.Code, ex.ErrorName, ex.Message); }
        Track(async () =>
        {
            try
            {
                await CompleteAsync(pending);
            }
            catch (SegmentationFailedException ex) when (ex.Code != IgtlStatusCode.Ok)
            {
                await TrySendAsync(new StatusMessage { DeviceName = message.DeviceName, Code = ex.Code, ErrorName = ex.ErrorName, Message = ex.Message });
            }
            catch (SegmentationFailedException) { } // superseded or cancelled: the newer request answers
        });
        return Task.CompletedTask;
    }

    /// <summary>A queued segmentation and what is needed to finish it.</summary>
    private sealed record PendingSegmentation(VolumeSlot Slot, string Model, string ContentKey, VolumeGeometry Geometry,
        string RequestId, string Output, InferenceJob Job);

    /// <summary>
    /// Queues one segmentation. Runs synchronously on the reader loop so jobs are submitted in message order
    /// (the newest POINT must be the one that supersedes, never the other way round).
    /// </summary>
    private PendingSegmentation Submit(VolumeSlot slot, string model, IReadOnlyList<PromptPoint> points, string requestId, string output)
    {
        Volume volume;
        string contentKey;
        RoiBox? roi;
        ModelState? previous;
        lock (_gate)
        {
            contentKey = slot.ContentKey;
            roi = slot.Roi;
            previous = slot.ModelStateOwner == model ? slot.ModelState : null;
        }
        try { volume = _server.Cache.Get(contentKey, slot.Name); }
        catch (VolumeEvictedException ex) { throw new SegmentationFailedException(IgtlStatusCode.NotFound, "VolumeEvicted", ex.Message); }

        var request = new SegmentationRequest { Volume = volume, Points = points, Roi = roi, Previous = previous };
        var job = _server.Queue.Submit(new InferenceJob(SupersedeKey(slot.Name), requestId, model, request, _sessionCts.Token));
        return new PendingSegmentation(slot, model, contentKey, volume.Geometry, requestId, output, job);
    }

    /// <summary>Waits for a queued segmentation, records it for Undo and sends the labelmap.</summary>
    private async Task<SegmentationSummary> CompleteAsync(PendingSegmentation pending)
    {
        var (slot, model, contentKey, geometry, requestId, output, job) = pending;
        var outcome = await job.Completion;
        switch (outcome.Kind)
        {
            case InferenceOutcomeKind.Superseded:
                throw new SegmentationFailedException(IgtlStatusCode.Ok, "Superseded", $"Request {requestId} was superseded by a newer request for '{slot.Name}'.");
            case InferenceOutcomeKind.Cancelled:
                throw new SegmentationFailedException(IgtlStatusCode.Ok, "Cancelled", $"Request {requestId} was cancelled.");
            case InferenceOutcomeKind.Busy:
                throw new SegmentationFailedException(IgtlStatusCode.Busy, "Busy", outcome.Error!);
            case InferenceOutcomeKind.Failed:
                throw new SegmentationFailedException(IgtlStatusCode.ConfigurationError, "SegmentationFailed", outcome.Error!);
        }
        var result = outcome.Result!;
        lock (_gate)
        {
            if (slot.ContentKey != contentKey)
                throw new SegmentationFailedException(IgtlStatusCode.Ok, "Superseded", $"Volume '{slot.Name}' was replaced while request {requestId} ran.");
            slot.ModelState = result.State;
            slot.ModelStateOwner = model;
            slot.History.Push(new UndoEntry(result.Mask, ClonePoints(slot.PointsByDevice), result.State, model));
            slot.Output = output;
        }
        await SendLabelmapAsync(output, result.Mask, geometry, requestId, model, outcome.Timings);
        long voxels = 0;
        foreach (byte b in result.Mask) voxels += b;
        _logger.LogInformation("Connection {ConnectionId}: {RequestId} on '{Volume}' with {Model}: {Voxels} voxels, queue {QueueMs:0.0} ms, total {TotalMs:0.0} ms",
            _client.ConnectionId, requestId, slot.Name, model, voxels, outcome.Timings.QueueMs, outcome.Timings.TotalMs);
        return new SegmentationSummary(requestId, output, voxels, outcome.Timings, model);
    }

    private Task SendLabelmapAsync(string device, byte[] mask, VolumeGeometry geometry, string requestId, string model, JobTimings t)
    {
        var image = ImageVolumeConverter.ToLabelmap(device, mask, geometry);
        image.Metadata.Set("RequestId", requestId);
        image.Metadata.Set("Model", model);
        image.Metadata.Set("QueueMs", Ms(t.QueueMs));
        image.Metadata.Set("PrepareMs", Ms(t.PrepareMs));
        image.Metadata.Set("InferMs", Ms(t.InferMs));
        image.Metadata.Set("PostMs", Ms(t.PostMs));
        image.Metadata.Set("TotalMs", Ms(t.TotalMs));
        return TrySendAsync(image);
    }

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);

    private static Dictionary<string, List<PromptPoint>> ClonePoints(Dictionary<string, List<PromptPoint>> points) =>
        points.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.Ordinal);
}
