using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// SAM-Med2D's <c>Adapter_Layer</c> (spec §2.5): a channel gate (mean over the grid → Linear → ReLU → Linear → sigmoid,
/// no biases) scales the input, a spatial branch (3×3/s2 conv → ReLU → 4×4/s2 transposed conv → ReLU) maps it back to
/// the grid, and LayerNorm(x + spatial) with eps 1e-5 (nn.LayerNorm's default) closes it.
/// Quirk: the skip adds the ungated input.
/// </summary>
public static class Adapter
{
    /// <summary>n [G², E] (the block's LN2 output) → [G², E].</summary>
    public static string Build(GraphBuilder g, SamMed2DConfig c, string n, int block)
    {
        string p = $"image_encoder.blocks.{block}.Adapter";
        int grid = c.Grid, dim = c.EmbedDim;
        using var scope = g.Scope("adapter");
        var pooled = g.ReduceMean(n, [0], keepDims: true);                                                    // [1, E]
        var gate = g.Sigmoid(g.Gemm(g.Relu(g.Gemm(pooled, g.Weight(p + ".channel.0.weight"), null)), g.Weight(p + ".channel.2.weight"), null), "gate");
        var gated = g.Mul(gate, n);
        var image = g.Reshape(g.Transpose(gated, [1, 0]), [1, dim, grid, grid]);
        var z = g.Relu(g.Conv2d(image, g.Weight(p + ".spatial.0.weight"), null, kernel: 3, stride: 2, pad: 1));
        var y = g.Relu(g.ConvTranspose2d(z, g.Weight(p + ".spatial.2.weight"), null, kernel: 4, stride: 2, pad: 1));
        var spatial = g.Transpose(g.Reshape(y, [dim, grid * grid]), [1, 0], "spatial");
        return g.LayerNorm(g.Add(n, spatial), p + ".norm", 1e-5f, "out");
    }
}
