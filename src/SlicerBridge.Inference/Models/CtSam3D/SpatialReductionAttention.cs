using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// ResT-v2 attention (spec §2.4): queries from every token, keys and values from a spatially reduced copy (depthwise
/// conv of kernel sr+1, stride sr, padding sr//2, then LayerNorm; none when sr = 1), softmax(q·kᵀ·d^−½)·v per head,
/// plus the "v identity" path: v itself, seen as C@(D/sr)³, trilinearly up-sampled to D³ and layer-normed, added
/// before the output projection. Channels are head-major (c = head·d + i) in q, k and v alike.
/// </summary>
public static class SpatialReductionAttention
{
    /// <summary>y [N, C] (the block's LN1 output, N = D³) → [N, C].</summary>
    public static string Build(GraphBuilder g, CtSam3DConfig c, string y, int stage, string prefix)
    {
        using var _ = g.Scope("attn");
        int dim = c.EmbedDims[stage], heads = c.NumHeads[stage], d = dim / heads, sr = c.SrRatios[stage], grid = c.StageGrid(stage);
        long n = (long)grid * grid * grid;
        var q = g.Linear(y, prefix + "q");

        string source = y;
        int keyGrid = grid;
        if (sr > 1)
        {
            // Plain Conv3d arithmetic: the windows may leave trailing voxels unseen (13-15 at stage 1); nothing to correct.
            keyGrid = (grid + 2 * (sr / 2) - (sr + 1)) / sr + 1;
            var reduced = g.ConvGrouped(PixelAttention.ToVolume(g, y, dim, grid), g.Weight(prefix + "sr.weight"), g.Weight(prefix + "sr.bias"), sr + 1, sr, sr / 2, dim);
            source = g.LayerNorm(PixelAttention.ToTokens(g, reduced, dim, keyGrid), prefix + "sr_norm", 1e-6f);
        }
        long nk = (long)keyGrid * keyGrid * keyGrid;
        var kv = g.Linear(source, prefix + "kv");                       // [Nk, 2C]: rows [0, C) are k, [C, 2C) are v
        var k = g.Slice(kv, [0], [dim], [1]);
        var v = g.Slice(kv, [dim], [2 * dim], [1]);

        var qh = g.Transpose(g.Reshape(q, [n, heads, d]), [1, 0, 2]);     // [h, N, d]
        var kh = g.Transpose(g.Reshape(k, [nk, heads, d]), [1, 2, 0]);    // [h, d, Nk]
        var vh = g.Transpose(g.Reshape(v, [nk, heads, d]), [1, 0, 2]);    // [h, Nk, d]
        var weights = g.Softmax(g.Mul(g.MatMul(qh, kh), g.Scalar(1 / MathF.Sqrt(d))));
        var attended = g.Reshape(g.Transpose(g.MatMul(weights, vh), [1, 0, 2]), [n, dim]);

        // The identity path reads v as it comes out of kv (head-major channels, keys A0-major), not per head.
        string identity = v;
        if (keyGrid != grid)
        {
            var up = g.ResizeLinear(PixelAttention.ToVolume(g, v, dim, keyGrid), [1, dim, grid, grid, grid]);
            identity = PixelAttention.ToTokens(g, up, dim, grid);
        }
        identity = g.LayerNorm(identity, prefix + "up_norm", 1e-6f);
        return g.Linear(g.Add(attended, identity), prefix + "proj", "out");
    }
}
