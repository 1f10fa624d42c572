namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// What GrowCut keeps between clicks on one volume: the work region, the clicks that produced it and the
/// shortest-path distance and label maps (padded layout of <see cref="GrowCutRegion"/>). Immutable once
/// returned: an incremental update copies the maps, so one state may be reused from several threads.
/// </summary>
public sealed class GrowCutState : ModelState
{
    internal GrowCutState(string contentKey, GrowCutRegion region, RoiBox? roi, IReadOnlyList<PromptPoint> points,
        GrowCutOptions options, float costPerMm, float[] distance, byte[] labels, PriorMask? prior)
    {
        Prior = prior;
        ContentKey = contentKey; Region = region; Roi = roi; Points = points; Options = options;
        CostPerMm = costPerMm; Distance = distance; Labels = labels;
    }

    public string ContentKey { get; }
    public GrowCutRegion Region { get; }
    public RoiBox? Roi { get; }
    public IReadOnlyList<PromptPoint> Points { get; }
    public GrowCutOptions Options { get; }
    /// <summary>The prior the maps started from (the same instance), or null.</summary>
    public PriorMask? Prior { get; }
    internal float CostPerMm { get; }
    internal float[] Distance { get; }
    internal byte[] Labels { get; }

    public override long SizeBytes => Distance.LongLength * sizeof(float) + Labels.LongLength;

    /// <summary>True when <paramref name="points"/> starts with exactly the clicks of this state and adds at least one.</summary>
    internal bool IsPrefixOf(IReadOnlyList<PromptPoint> points)
    {
        if (points.Count <= Points.Count) return false;
        for (int n = 0; n < Points.Count; n++)
            if (points[n] != Points[n]) return false;
        return true;
    }
}
