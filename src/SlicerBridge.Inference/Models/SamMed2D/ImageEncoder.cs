using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// The 2D ViT image encoder (spec §2): patch embedding (Conv2d, kernel = stride = 16), learned absolute position
/// embedding, pre-norm blocks with adapters, and the neck (1×1 conv → LayerNorm2d → 3×3 conv → LayerNorm2d).
/// Tokens are channel-last [G², E], t = G·row + column.
/// </summary>
public static class ImageEncoder
{
    /// <summary>image [1, 3, S, S] (normalised, resized) → embedding [1, C, G, G].</summary>
    public static string Build(GraphBuilder g, SamMed2DConfig c, string image)
    {
        const string E = "image_encoder";
        int grid = c.Grid, t = grid * grid, dim = c.EmbedDim, o = c.PromptEmbedDim;
        string x;
        using (g.Scope("patch_embed"))
        {
            var patches = g.Conv2d(image, g.Weight(E + ".patch_embed.proj.weight"), g.Weight(E + ".patch_embed.proj.bias"), c.PatchSize, c.PatchSize, 0);
            x = g.Transpose(g.Reshape(patches, [dim, t]), [1, 0]);
            x = g.Add(x, g.Weight(E + ".pos_embed", t, dim), "out");
        }
        for (int i = 0; i < c.Depth; i++) x = EncoderBlock.Build(g, c, x, i);

        using (g.Scope("neck"))
        {
            // The 1×1 conv is a Linear over tokens; LayerNorm2d on channel-last tokens is a plain LayerNorm.
            var y = g.Gemm(x, g.Weight(E + ".neck.0.weight", o, dim), null);
            y = g.LayerNorm(y, E + ".neck.1", 1e-6f);
            var image2d = g.Reshape(g.Transpose(y, [1, 0]), [1, o, grid, grid]);
            var z = g.Conv2d(image2d, g.Weight(E + ".neck.2.weight"), null, kernel: 3, stride: 1, pad: 1);
            return LayerNorm2d(g, z, E + ".neck.3", 1e-6f, "out");
        }
    }

    /// <summary>SAM's LayerNorm2d: each pixel of x [1, C, H, W] normalised over its C channels, then per-channel weight and bias.</summary>
    public static string LayerNorm2d(GraphBuilder g, string x, string prefix, float epsilon, string? name = null)
    {
        var channelsLast = g.Transpose(x, [0, 2, 3, 1]);
        var normed = g.LayerNormalization(channelsLast, g.Weight(prefix + ".weight"), g.Weight(prefix + ".bias"), epsilon);
        return g.Transpose(normed, [0, 3, 1, 2], name);
    }
}
