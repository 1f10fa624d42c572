using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using SlicerBridge.Inference.Models.SamMed2D.Tracking;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Streaming;

/// <summary>
/// One client on one live stream: its model (held by a registry lease for as long as it watches), its tracker, and a
/// prompt in RAS waiting for the next frame (projected onto that frame's plane, since the probe moves).
/// </summary>
internal sealed class StreamSubscription(IStreamSubscriber subscriber, string modelName, ModelRegistry.ModelLease lease,
    SamMed2DPredictor predictor, TrackingOptions tracking) : IDisposable
{
    private readonly object _gate = new();
    private (RoiBox? Box, IReadOnlyList<PromptPoint> Points)? _pending;

    public IStreamSubscriber Subscriber { get; } = subscriber;
    public string ModelName { get; } = modelName;
    public SamMed2DPredictor Predictor { get; } = predictor;
    public FrameTracker Tracker { get; } = new(predictor, tracking);
    public long FramesSent;

    public void Prompt(RoiBox? box, IReadOnlyList<PromptPoint> points)
    {
        lock (_gate) _pending = (box, points);
    }

    /// <summary>True when a prompt waits; it is applied once it falls on this frame's plane (a box footprint or a positive point on it).</summary>
    public bool HasPendingPrompt { get { lock (_gate) return _pending is not null; } }

    public void ApplyPendingPrompt(VolumeGeometry frame)
    {
        (RoiBox? Box, IReadOnlyList<PromptPoint> Points) pending;
        lock (_gate)
        {
            if (_pending is null) return;
            pending = _pending.Value;
        }
        FrameBox? box = pending.Box is null ? null : ImagePlane.Project(frame, pending.Box);
        var points = pending.Points.Select(p => ImagePlane.Project(frame, p)).OfType<FramePoint>().ToList();
        if (box is null && !points.Any(p => p.Positive)) return;    // not on this frame's plane yet
        Tracker.Prompt(points, box);
        lock (_gate) if (_pending is { } now && now.Box == pending.Box && ReferenceEquals(now.Points, pending.Points)) _pending = null;
    }

    public void Dispose() => lease.Dispose();
}
