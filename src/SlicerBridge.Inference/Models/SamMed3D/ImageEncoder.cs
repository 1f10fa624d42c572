using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The 3D ViT image encoder (spec §2): patch embedding (Conv3d, kernel = stride = 16), learned absolute position
/// embedding, pre-norm blocks, and the neck (1×1×1 conv → LayerNorm3d → 3×3×3 conv → LayerNorm3d).
/// Tokens are channel-last [G³, C], ordered t = (g0·G + g1)·G + g2.
/// </summary>
public static class ImageEncoder
{
    /// <summary>image [1, 1, S, S, S] → embedding [1, C', G, G, G] (C' = prompt embed dim).</summary>
    public static string Build(GraphBuilder g, SamMed3DConfig c, string image)
    {
        const string E = "image_encoder";
        int grid = c.Grid, t = grid * grid * grid, dim = c.EmbedDim, o = c.PromptEmbedDim;
        string x;
        using (g.Scope("patch_embed"))
        {
            var patches = g.Conv(image, g.Weight(E + ".patch_embed.proj.weight"), g.Weight(E + ".patch_embed.proj.bias"), c.PatchSize, c.PatchSize, 0);
            x = g.ToFloat32(g.Transpose(g.Reshape(patches, [dim, t]), [1, 0]));
            g.Weights.SetView(E + ".pos_embed", [t, dim]);
            x = g.Add(x, g.WeightFp32(E + ".pos_embed"), "out");   // the residual stream is float32 in every precision
        }
        for (int i = 0; i < c.Depth; i++) x = EncoderBlock.Build(g, c, x, i);

        using (g.Scope("neck"))
        {
            // The 1×1×1 conv is a Linear over tokens; LayerNorm3d on channel-last tokens is a plain LayerNorm.
            var y = g.Gemm(g.ToCompute(x), g.Weight(E + ".neck.0.weight", o, dim), null);
            y = g.ToCompute(g.LayerNorm(g.ToFloat32(y), E + ".neck.1", 1e-6f));
            var volume = g.Reshape(g.Transpose(y, [1, 0]), [1, o, grid, grid, grid]);
            var z = g.Conv(volume, g.Weight(E + ".neck.2.weight"), null, kernel: 3, stride: 1, pad: 1);
            return g.LayerNorm3d(z, E + ".neck.3", 1e-6f, "out");
        }
    }
}
