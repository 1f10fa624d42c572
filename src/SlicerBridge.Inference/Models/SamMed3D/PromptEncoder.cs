using SlicerBridge.Inference.Tensors;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Prompt encoder (spec §3): random-Fourier point tokens, the dense positional encoding of the token grid,
/// and the mask prompt (previous low-res logits) downscaled to the embedding grid.
/// </summary>
public sealed class PromptEncoder
{
    private readonly SamMed3DConfig _config;
    private readonly ITensorBackend _backend;
    private readonly float[] _gaussian;          // (3, F), F = PromptEmbedDim / 3
    private readonly float[] _negativePoint, _positivePoint, _notAPoint;
    private readonly LinearWeights _down0, _down3, _down6;
    private readonly float[] _norm1W, _norm1B, _norm4W, _norm4B;

    public PromptEncoder(SamMed3DConfig config, SamWeights weights)
    {
        _config = config;
        _backend = weights.Backend;
        const string P = "prompt_encoder.";
        _gaussian = weights.Keep(P + "pe_layer.positional_encoding_gaussian_matrix");
        _negativePoint = weights.Keep(P + "point_embeddings.0.weight");
        _positivePoint = weights.Keep(P + "point_embeddings.1.weight");
        _notAPoint = weights.Keep(P + "not_a_point_embed.weight");
        _down0 = weights.Conv3d(P + "mask_downscaling.0.weight", P + "mask_downscaling.0.bias");
        _norm1W = weights.Keep(P + "mask_downscaling.1.weight");
        _norm1B = weights.Keep(P + "mask_downscaling.1.bias");
        _down3 = weights.Conv3d(P + "mask_downscaling.3.weight", P + "mask_downscaling.3.bias");
        _norm4W = weights.Keep(P + "mask_downscaling.4.weight");
        _norm4B = weights.Keep(P + "mask_downscaling.4.bias");
        _down6 = weights.Conv3d(P + "mask_downscaling.6.weight", P + "mask_downscaling.6.bias");
        DensePe = ComputeDensePe();
    }

    /// <summary>Dense PE of the token grid, channel-last [G³, C]; prompt-independent, computed once.</summary>
    public Tensor DensePe { get; }

    /// <summary>Fourier features of u ∈ [0,1]³: z = 2π·((2u − 1)·G), PE = [sin z, cos z, sin z] (the third block really repeats sin).</summary>
    private void Fourier(float u0, float u1, float u2, Span<float> destination)
    {
        int f = _config.PromptEmbedDim / 3;
        float c0 = 2 * u0 - 1, c1 = 2 * u1 - 1, c2 = 2 * u2 - 1;
        for (int j = 0; j < f; j++)
        {
            float z = c0 * _gaussian[j] + c1 * _gaussian[f + j] + c2 * _gaussian[2 * f + j];
            z *= 2 * MathF.PI;
            float sin = MathF.Sin(z);
            destination[j] = sin;
            destination[f + j] = MathF.Cos(z);
            destination[2 * f + j] = sin;
        }
    }

    private Tensor ComputeDensePe()
    {
        int g = _config.Grid, c = _config.PromptEmbedDim;
        var pe = Tensor.Zeros(g * g * g, c);
        for (int g0 = 0; g0 < g; g0++)
            for (int g1 = 0; g1 < g; g1++)
                for (int g2 = 0; g2 < g; g2++)
                    // Quirk (spec §3): the first two coordinates are swapped relative to the point convention.
                    Fourier((g1 + 0.5f) / g, (g0 + 0.5f) / g, (g2 + 0.5f) / g, pe.Row((g0 * g + g1) * g + g2));
        return pe;
    }

    /// <summary>Point tokens [N+1, C]: one per click plus the padding point (label −1) the official code appends when there is no box.</summary>
    public Tensor EmbedPoints(ReadOnlySpan<SamPoint> points)
    {
        int c = _config.PromptEmbedDim;
        float size = _config.ImageSize;
        var tokens = Tensor.Zeros(points.Length + 1, c);
        for (int i = 0; i < points.Length; i++)
        {
            var p = points[i];
            var row = tokens.Row(i);
            Fourier((p.A0 + 0.5f) / size, (p.A1 + 0.5f) / size, (p.A2 + 0.5f) / size, row);
            var label = p.Label switch
            {
                1 => _positivePoint,
                0 => _negativePoint,
                _ => throw new ArgumentException($"Point label {p.Label} is not supported (1 positive, 0 negative)."),
            };
            for (int j = 0; j < c; j++) row[j] += label[j];
        }
        _notAPoint.CopyTo(tokens.Row(points.Length));
        return tokens;
    }

    /// <summary>
    /// Mask prompt: logits (LowRes³) → Conv k2 s2 → LayerNorm3d → GELU → Conv k2 s2 → LayerNorm3d → GELU → Conv 1×1 → [G³, C].
    /// The first click passes zeros, never no_mask_embed (spec §3: the official pipeline always passes a mask).
    /// </summary>
    public Tensor EmbedMask(ReadOnlySpan<float> lowResLogits, TensorArena arena)
    {
        int r = _config.LowResSize, g = _config.Grid, q = _config.MaskInChans / 4;
        if (!lowResLogits.IsEmpty && lowResLogits.Length != r * r * r)
            throw new ArgumentException($"The mask prompt must be {r}³ logits, got {lowResLogits.Length}.");
        var input = arena.Zeros(r * r * r, 1);
        lowResLogits.CopyTo(input.Data);
        var columns1 = arena.Rent(TensorBackendExtensions.Im2ColShape(r, 1, 2, 2, 0));
        _backend.Im2Col(input, r, 2, 2, 0, columns1);
        var x1 = arena.Rent((r / 2) * (r / 2) * (r / 2), q);
        _backend.Linear(columns1, _down0, x1);
        _backend.LayerNorm(x1, _norm1W, _norm1B, 1e-6f, x1);
        _backend.Activate(x1, Activation.Gelu);
        var columns2 = arena.Rent(TensorBackendExtensions.Im2ColShape(r / 2, q, 2, 2, 0));
        _backend.Im2Col(x1, r / 2, 2, 2, 0, columns2);
        var x2 = arena.Rent(g * g * g, _config.MaskInChans);
        _backend.Linear(columns2, _down3, x2);
        _backend.LayerNorm(x2, _norm4W, _norm4B, 1e-6f, x2);
        _backend.Activate(x2, Activation.Gelu);
        var dense = arena.Rent(g * g * g, _config.PromptEmbedDim);
        _backend.Linear(x2, _down6, dense);
        return dense;
    }
}
