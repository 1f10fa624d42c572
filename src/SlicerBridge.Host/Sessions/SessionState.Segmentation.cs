using SlicerBridge.Host.Requests;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Server;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Sessions;

public sealed partial class SessionState
{
    /// <summary>
    /// A POINT set from one device replaced that device's prompts on the target volume. Plans a segmentation of the
    /// union of all devices' prompts; rejected when there is no target, a point is invalid, or no point is positive.
    /// </summary>
    public Outcome<SegmentationPlan> ApplyPoints(string device, IReadOnlyList<IncomingPoint> points)
    {
        lock (_gate)
        {
            if (_target is not { } slot)
                return new Rejection(RejectionKind.NoVolume, $"POINT '{device}' arrived before any volume; send an IMAGE first.");
            var valid = PromptCheck.Validate(points, slot);
            if (!valid.IsDone) return valid.Forward<SegmentationPlan>();
            if (valid.Value!.Count == 0) slot.PointsByDevice.Remove(device);
            else slot.PointsByDevice[device] = valid.Value;
            var all = slot.AllPoints();
            int run = ++slot.RunCounter;
            if (!all.Any(p => p.Positive))
                return new Rejection(RejectionKind.NoPositivePoint, $"Volume '{slot.Name}' has no positive point yet; nothing to segment.");
            return Plan(slot, _model, all, $"{slot.Name}#{run}", OutputNames.ResultDeviceName(slot.Name));
        }
    }

    /// <summary>A Segment request: its points (if any) replace the volume's prompts, its ROI and model are kept for later ones.</summary>
    public Outcome<SegmentationPlan> PlanSegment(SegmentRequest request)
    {
        string model;
        lock (_gate) model = request.Model ?? _model;
        if (!models.IsKnown(model)) return UnknownModel(model);
        lock (_gate)
        {
            var resolved = Resolve(request.Volume);
            if (!resolved.IsDone) return resolved.Forward<SegmentationPlan>();
            var slot = resolved.Value!;
            if (request.Points is { } points)
            {
                var valid = PromptCheck.Validate([.. points.Select((p, n) => new IncomingPoint(p.Ras, p.Positive, $"points[{n}]"))], slot);
                if (!valid.IsDone) return valid.Forward<SegmentationPlan>();
                slot.PointsByDevice.Clear();
                slot.PointsByDevice["Segment"] = valid.Value!;
            }
            if (request.Roi is not null) slot.Roi = request.Roi;
            var all = slot.AllPoints();
            if (!all.Any(p => p.Positive))
                return new Rejection(RejectionKind.NoPositivePoint,
                    $"Segment needs at least one positive point for '{slot.Name}' (in \"points\" or sent as POINT).");
            if (request.Model is not null) _model = request.Model;
            int run = ++slot.RunCounter;
            return Plan(slot, model, all, request.RequestId ?? $"{slot.Name}#{run}",
                request.Output ?? OutputNames.ResultDeviceName(slot.Name));
        }
    }

    /// <summary>Caller holds <see cref="_gate"/>.</summary>
    private Outcome<SegmentationPlan> Plan(VolumeSlot slot, string model, IReadOnlyList<PromptPoint> points, string requestId, string output)
    {
        Inference.Volumes.Volume volume;
        try { volume = cache.Get(slot.ContentKey, slot.Name); }
        catch (VolumeEvictedException ex) { return new Rejection(RejectionKind.VolumeEvicted, ex.Message); }
        var request = new SegmentationRequest
        {
            Volume = volume, Points = points, Roi = slot.Roi, Previous = slot.ModelStateOwner == model ? slot.ModelState : null,
            Prior = slot.Prior,
        };
        return new SegmentationPlan(slot, model, SupersedeKey(slot.Name), requestId, output, slot.ContentKey, request);
    }

    /// <summary>
    /// Records how a planned segmentation ended. A result becomes the volume's newest undo entry and its labelmap is
    /// returned to send; a result for a volume replaced meanwhile is superseded.
    /// </summary>
    public Outcome<SegmentationDone> Record(SegmentationPlan plan, InferenceOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case InferenceOutcomeKind.Superseded:
                return Outcome<SegmentationDone>.Superseded($"Request {plan.RequestId} was superseded by a newer request for '{plan.Slot.Name}'.");
            case InferenceOutcomeKind.Cancelled:
                return Outcome<SegmentationDone>.Superseded($"Request {plan.RequestId} was cancelled.");
            case InferenceOutcomeKind.Busy:
                return new Rejection(RejectionKind.Busy, outcome.Error!);
            case InferenceOutcomeKind.Failed:
                return new Rejection(RejectionKind.SegmentationFailed, outcome.Error!);
            case InferenceOutcomeKind.Faulted:
                return Outcome<SegmentationDone>.Failed(outcome.Error!);
        }
        var result = outcome.Result!;
        var slot = plan.Slot;
        lock (_gate)
        {
            if (_closed) return Outcome<SegmentationDone>.Superseded($"The session closed while request {plan.RequestId} ran.");
            if (slot.ContentKey != plan.ContentKey)
                return Outcome<SegmentationDone>.Superseded($"Volume '{slot.Name}' was replaced while request {plan.RequestId} ran.");
            slot.ModelState = result.State;
            slot.ModelStateOwner = plan.Model;
            RecordUndo(slot, new UndoEntry(result.Mask, ClonePoints(slot.PointsByDevice), result.State, plan.Model, ++_undoSequence));
            slot.Output = plan.Output;
        }
        long voxels = 0;
        foreach (byte b in result.Mask) voxels += b;
        return new SegmentationDone(new Labelmap(plan.Output, result.Mask, plan.Geometry, plan.RequestId, plan.Model), voxels);
    }

    /// <summary>Drops the newest result of a volume: its prompts and model state go back to the one before (or to empty).</summary>
    public Outcome<HistoryChange> Undo(string? volume)
    {
        lock (_gate)
        {
            var resolved = Resolve(volume);
            if (!resolved.IsDone) return resolved.Forward<HistoryChange>();
            var slot = resolved.Value!;
            if (UndoBeyondKept(slot) is { } refused) return refused;
            if (slot.History.Count > 0) slot.History.Pop();
            slot.PointsByDevice.Clear();
            byte[] mask;
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
            return new HistoryChange(slot.Name, slot.History.Count, new Labelmap(slot.Output, mask, slot.Geometry, $"{slot.Name}#undo", _model));
        }
    }

    /// <summary>Forgets a volume's prompts, ROI, model state and history; its labelmap becomes empty.</summary>
    public Outcome<HistoryChange> Reset(string? volume)
    {
        lock (_gate)
        {
            var resolved = Resolve(volume);
            if (!resolved.IsDone) return resolved.Forward<HistoryChange>();
            var slot = resolved.Value!;
            slot.Reset();
            return new HistoryChange(slot.Name, 0, new Labelmap(slot.Output, new byte[slot.Geometry.VoxelCount], slot.Geometry, $"{slot.Name}#reset", _model));
        }
    }

    private static Dictionary<string, List<PromptPoint>> ClonePoints(Dictionary<string, List<PromptPoint>> points) =>
        points.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.Ordinal);
}
