namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// What SAM-Med2D carries from one prompt to the next on an image: the selected low-res logits, whose sigmoid is the
/// next mask prompt (spec §7.3), valid only for the same image content.
/// </summary>
public sealed class SamMed2DState(string contentKey, float[] lowResLogits, float iou) : ModelState
{
    public string ContentKey { get; } = contentKey;
    public float[] LowResLogits { get; } = lowResLogits;
    /// <summary>The selected mask token's IoU prediction.</summary>
    public float Iou { get; } = iou;
    public override long SizeBytes => LowResLogits.Length * sizeof(float) + 64;
}
