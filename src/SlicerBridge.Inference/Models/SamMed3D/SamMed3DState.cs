namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// What SAM-Med3D carries from one click to the next on a volume: the first crop's position and its low-res logits,
/// fed back as the mask prompt (spec §7.2: clicks are cumulative, the previous raw logits are the mask prompt).
/// </summary>
public sealed class SamMed3DState(string contentKey, (int, int, int) cropStart, float[] lowResLogits, PriorMask? prior = null) : ModelState
{
    public string ContentKey { get; } = contentKey;
    public (int, int, int) CropStart { get; } = cropStart;
    public float[] LowResLogits { get; } = lowResLogits;
    /// <summary>The prior the first click started from (the same instance), or null.</summary>
    public PriorMask? Prior { get; } = prior;
    public override long SizeBytes => LowResLogits.Length * sizeof(float) + 64;
}
