namespace SlicerBridge.Inference.Models.SamMed2D.Tracking;

/// <summary>How a prompt is carried from frame to frame (spec §10, our design; bound from Streaming:Tracking).</summary>
public sealed record TrackingOptions
{
    /// <summary>Below this predicted IoU of the selected mask the stream reports Tracking=Lost and waits for a new prompt.</summary>
    public float MinScore { get; init; } = 0.5f;

    /// <summary>The previous mask's box is widened by this fraction of its size on every side (motion between frames).</summary>
    public double BoxMargin { get; init; } = 0.1;

    /// <summary>…and by at least this many frame pixels.</summary>
    public double MinBoxMarginPixels { get; init; } = 2;

    /// <summary>Fewer mask pixels than this counts as the mask vanishing.</summary>
    public int MinMaskPixels { get; init; } = 1;
}
