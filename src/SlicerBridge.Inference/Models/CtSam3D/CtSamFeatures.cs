namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The encoder's four channel-mapped maps of one patch (F0 at 16³ … F3 at 2³, channels-first, row-major), kept on the
/// host: at restv2_tiny width they are 2.4 MB, and uploading them per click costs nothing beside the decoder's 125 GMAC.
/// </summary>
public sealed class CtSamFeatures(float[][] maps, float[]? stem = null) : ICachedValue
{
    public IReadOnlyList<float[]> Maps { get; } = maps;

    /// <summary>Stem tokens as C0 × 16³ (parity checks), when asked for.</summary>
    public float[]? Stem { get; } = stem;

    public long SizeBytes => Maps.Sum(m => m.LongLength) * sizeof(float);
}

/// <summary>One decoder call: the mask probability (64³, A2 fastest), IoU output, the click maps it was given, intermediates on request.</summary>
public sealed class CtSamDecoderOutput
{
    public required float[] Probability { get; init; }
    public required float Iou { get; init; }
    public required float[] ClickMaps { get; init; }
    public IReadOnlyDictionary<string, float[]>? Intermediates { get; init; }

    /// <summary>prob &gt; 0.5 (Sam.mask_threshold), as 0/1 bytes.</summary>
    public byte[] Mask() => Threshold(Probability);

    public static byte[] Threshold(ReadOnlySpan<float> probability)
    {
        var mask = new byte[probability.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = probability[i] > 0.5f ? (byte)1 : (byte)0;
        return mask;
    }
}
