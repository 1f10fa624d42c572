using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The three ONNX graphs of CT-SAM3D over a checkpoint's weights: the image encoder (once per 64³ patch), the decoder
/// (once per click: encoder maps + the 3-channel prompt → probability) and the cross-patch UNet (optional).
/// The click maps are rasterised outside the graphs (<see cref="ClickMaps"/>): they are exact integer-box copies.
/// </summary>
public static class CtSam3DGraphs
{
    public const string Image = "image", Stem = "stem", Prompt = "prompt", Probability = "probability", Iou = "iou";
    public const string CppInput = "cpp_input", Heatmap = "heatmap";

    /// <summary>Encoder output / decoder input names of F0..F3.</summary>
    public static string Feature(int k) => $"feat{k}";

    public static string Intermediate(string name) => "dbg_" + name;

    /// <summary>image [1, 1, 64, 64, 64] (clipped, /350) → feat0..3 [1, C'_k, D_k, D_k, D_k], stem [C0, 16, 16, 16] (parity).</summary>
    public static GraphBuilder Encoder(CtSam3DConfig c, WeightSet weights)
    {
        var g = new GraphBuilder("ct_sam3d_image_encoder", weights);
        int s = c.ImageSize;
        var image = g.Input(Image, 1, 1, s, s, s);
        var (features, stem) = ResTEncoder.Build(g, c, image);
        for (int k = 0; k < 4; k++)
        {
            int d = c.StageGrid(k);
            g.Output(features[k], Feature(k), 1, c.MapperChans[k], d, d, d);
        }
        int grid = c.StageGrid(0);
        g.Output(g.Reshape(g.Transpose(stem, [1, 0]), [c.EmbedDims[0], grid, grid, grid]), Stem, c.EmbedDims[0], grid, grid, grid);
        return g;
    }

    /// <summary>
    /// feat0..3, prompt [1, 3, 64, 64, 64] = [previous probability (zeros first), positive map, negative map]
    /// → probability [1, 1, 64, 64, 64], iou [1, 1], and dbg_spade1…dbg_spade5 / dbg_upscale1…4 (parity).
    /// </summary>
    public static GraphBuilder Decoder(CtSam3DConfig c, WeightSet weights)
    {
        var g = new GraphBuilder("ct_sam3d_mask_decoder", weights);
        int s = c.ImageSize;
        var features = new string[4];
        for (int k = 0; k < 4; k++)
        {
            int d = c.StageGrid(k);
            features[k] = g.Input(Feature(k), 1, c.MapperChans[k], d, d, d);
        }
        var prompt = g.Input(Prompt, 1, 3, s, s, s);
        var (probability, iou, steps) = SpadeDecoder.Build(g, c, features, prompt);
        g.Output(probability, Probability, 1, 1, s, s, s);
        g.Output(iou, Iou, 1, 1);
        for (int i = 0; i < steps.Length; i++)
        {
            var (channels, size) = IntermediateShape(c, i);
            g.Output(steps[i], Intermediate(SpadeDecoder.IntermediateNames[i]), 1, channels, size, size, size);
        }
        return g;
    }

    /// <summary>Channels and edge of decoder intermediate <paramref name="index"/> (in <see cref="SpadeDecoder.IntermediateNames"/> order).</summary>
    public static (int Channels, int Size) IntermediateShape(CtSam3DConfig c, int index)
    {
        int block = index / 2, t = c.TransformerDim, size = c.StageGrid(3) << block;
        bool isUpscale = index % 2 == 1;
        if (!isUpscale) return (block == 4 ? t / 2 : t, size);
        return (t / 2, size * 2);
    }

    /// <summary>cpp_input [1, 3, 64, 64, 64] = [patch image, patch mask, neighbour image] → heatmap [1, 1, 64, 64, 64].</summary>
    public static GraphBuilder CrossPatch(CtSam3DConfig c, WeightSet weights)
    {
        var g = new GraphBuilder("ct_sam3d_cross_patch", weights);
        int s = c.ImageSize;
        var input = g.Input(CppInput, 1, 3, s, s, s);
        g.Output(CrossPatchUNet.Build(g, c, input), Heatmap, 1, 1, s, s, s);
        return g;
    }
}
