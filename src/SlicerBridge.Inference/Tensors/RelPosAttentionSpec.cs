namespace SlicerBridge.Inference.Tensors;

/// <summary>
/// One SAM-Med3D encoder attention (spec sam-med3d.md §2.1–2.2). The token grid is G³ (G = 8), tokens ordered
/// t = (g0·G + g1)·G + g2; qkv is [G³, 3·H·d] (the qkv Linear output, rows [q | k | v], head-major).
/// The attention runs over an S³ window (S = 14 in windowed blocks, S = G in global blocks): window positions
/// beyond G are the zero-padded tokens, whose q, k and v are exactly the qkv bias slices
/// (<see cref="QkvBias"/>), attended as keys with no masking. Only the G³ real queries are computed; the padded keys
/// enter in closed form. Tables are (2S−1) × d per axis.
/// </summary>
public sealed class RelPosAttentionSpec
{
    public required int Grid { get; init; }
    public required int Window { get; init; }
    public required int Heads { get; init; }
    public required int HeadDim { get; init; }
    public required float[] RelPosD { get; init; }
    public required float[] RelPosH { get; init; }
    public required float[] RelPosW { get; init; }
    /// <summary>qkv.bias (3·H·d): the q, k, v of every padded token.</summary>
    public required float[] QkvBias { get; init; }
}
