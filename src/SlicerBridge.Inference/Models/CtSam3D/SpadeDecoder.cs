using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// MaskDecoderClickmap (spec §4.1): five SPADE-ResNet blocks from 2³ to 32³, each prompted by P resized to its size,
/// interleaved with five ×2 up-samplings, U-Net skips from F2, F1, F0 (up-sampled tensor first in every concat; no skip at
/// 32³), then the sigmoid head at 64³. About 125 GMAC per click at restv2_tiny width, 85 % of it in spade4-5.
/// </summary>
public static class SpadeDecoder
{
    /// <summary>Names of the per-block intermediates (fixture <c>dbg_click1_*.npy</c>).</summary>
    public static readonly string[] IntermediateNames = ["spade1", "upscale1", "spade2", "upscale2", "spade3", "upscale3", "spade4", "upscale4", "spade5"];

    /// <summary>
    /// features F0..F3 (channels-first), prompt [1, 3, 64, 64, 64] = [mask probability, positive map, negative map]
    /// → probability, iou, and the intermediates in <see cref="IntermediateNames"/> order.
    /// </summary>
    public static (string Probability, string Iou, string[] Intermediates) Build(GraphBuilder g, CtSam3DConfig c, string[] features, string prompt)
    {
        int t = c.TransformerDim, s = c.ImageSize;
        var steps = new List<string>();
        // SPADE's F.interpolate(segmap, size=n³) in trilinear align_corners=False mode; one resize per size, shared by both norms of a block.
        string PromptAt(int n) => n == s ? prompt : g.ResizeLinear(prompt, [1, 3, n, n, n]);

        var x = features[3];
        int n = c.StageGrid(3);
        for (int block = 1; block <= 5; block++)
        {
            int width = block == 5 ? t / 2 : t;
            x = SpadeResnetBlock.Build(g, x, PromptAt(n), block, width);
            steps.Add(x);
            x = UpscaleBlock.Build(g, x, block);
            n *= 2;
            if (block <= 4) steps.Add(x);
            if (block <= 3) x = g.Concat(1, [x, features[3 - block]]);
        }
        var (probability, iou) = MaskHead.Build(g, c, x);
        return (probability, iou, steps.ToArray());
    }
}
