using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Support;

/// <summary>
/// Test double: marks every voxel within <see cref="RadiusMm"/> of a positive point (and not nearer a negative one).
/// Optionally waits on a gate first so tests can hold a job "running" and observe supersession.
/// </summary>
internal sealed class SphereTestModel(string name = "sphere", double radiusMm = 3) : ISegmentationModel
{
    public string Name => name;
    public string Description => $"test sphere r={RadiusMm} mm";
    public long WeightBytes => 0;
    public double RadiusMm { get; } = radiusMm;
    public TimeSpan Delay { get; set; }
    public SemaphoreSlim? Gate { get; set; }
    /// <summary>Thrown by every call when set: stands for a bug inside a model (a shape mismatch, an index out of range).</summary>
    public Exception? Fault { get; set; }
    public int Calls => _calls;
    private int _calls;
    /// <summary>The prior the last request carried (null when none).</summary>
    public PriorMask? LastPrior { get; private set; }

    public SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastPrior = request.Prior;
        if (Fault is not null) throw Fault;
        Gate?.Wait(cancellationToken);
        if (Delay > TimeSpan.Zero) Task.Delay(Delay, cancellationToken).GetAwaiter().GetResult();
        cancellationToken.ThrowIfCancellationRequested();
        var g = request.Volume.Geometry;
        var positives = request.Points.Where(p => p.Positive).Select(p => p.Ras).ToList();
        if (positives.Count == 0) throw new SegmentationException("No positive point.");
        var mask = new byte[g.VoxelCount];
        for (int k = 0; k < g.SizeK; k++)
        for (int j = 0; j < g.SizeJ; j++)
        for (int i = 0; i < g.SizeI; i++)
        {
            Vec3 ras = g.IjkToRasPoint(new Vec3(i, j, k));
            if (request.Roi is { } roi && !roi.Contains(ras)) continue;
            if (positives.Any(p => (p - ras).Length <= RadiusMm)) mask[g.Index(i, j, k)] = 1;
        }
        return new SegmentationResult { Mask = mask, Timings = new StageTimings(0.1, 0.2, 0.3) };
    }

    public void Dispose() { }
}

internal sealed class SingleModelFactory(string kind, Func<ISegmentationModel> create) : IModelFactory
{
    public string Kind => kind;
    public ISegmentationModel Create(ModelSpec spec) => create();
}
