namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// Every state-dict key a configuration has, with its PyTorch shape (spec Appendix A: 428 tensors for restv2_tiny).
/// <see cref="Required"/> must all be present; <see cref="CrossPatch"/> (the <c>cpp_predictor</c> UNet) is all or nothing.
/// </summary>
public static class CtSam3DCheckpointLayout
{
    public const string Encoder = "image_encoder.", Decoder = "mask_decoder.", CppPrefix = "cpp_predictor.";

    /// <summary>Saved but never used by the forward pass (checked, not loaded).</summary>
    public const string UnusedPositionalMatrix = "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix";

    /// <summary>Module prefixes whose keys must all be known: a key there that the configuration lacks means another variant.</summary>
    public static readonly string[] ModelPrefixes = [Encoder, "prompt_encoder.", Decoder, CppPrefix];

    /// <summary>Keys that hold no float32 weight (0-dim int64 counters).</summary>
    public static bool IsCounter(string name) => name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    public static IEnumerable<(string Name, int[] Shape)> Required(CtSam3DConfig c) =>
        EncoderKeys(c).Concat([(UnusedPositionalMatrix, [3, c.PromptEmbedDim / 2])]).Concat(DecoderKeys(c));

    public static IEnumerable<(string Name, int[] Shape)> All(CtSam3DConfig c) => Required(c).Concat(CrossPatch(c));

    private static IEnumerable<(string, int[])> EncoderKeys(CtSam3DConfig c)
    {
        const string E = Encoder;
        int[] dims = c.EmbedDims;
        int half = dims[0] / 2;
        yield return (E + "stem.proj.0.weight", [half, 1, 3, 3, 3]);
        foreach (var x in BatchNorm(E + "stem.proj.1", half)) yield return x;
        yield return (E + "stem.proj.3.weight", [dims[0], half, 3, 3, 3]);
        foreach (var x in BatchNorm(E + "stem.proj.4", dims[0])) yield return x;
        yield return (E + "stem.proj.6.weight", [dims[0], dims[0], 1, 1, 1]);
        yield return (E + "stem.proj.6.bias", [dims[0]]);
        yield return (E + "stem.pos.pa_conv.weight", [dims[0], 1, 3, 3, 3]);
        yield return (E + "stem.pos.pa_conv.bias", [dims[0]]);
        yield return (E + "stem.norm.weight", [dims[0]]);
        yield return (E + "stem.norm.bias", [dims[0]]);
        for (int k = 2; k <= 4; k++)
        {
            int cin = dims[k - 2], cout = dims[k - 1];
            string p = $"{E}patch_{k}.";
            yield return (p + "proj.weight", [cout, cin, 3, 3, 3]);
            yield return (p + "proj.bias", [cout]);
            yield return (p + "pos.pa_conv.weight", [cout, 1, 3, 3, 3]);
            yield return (p + "pos.pa_conv.bias", [cout]);
            yield return (p + "norm.weight", [cout]);
            yield return (p + "norm.bias", [cout]);
        }
        for (int s = 0; s < 4; s++)
            for (int b = 0; b < c.Depths[s]; b++)
            {
                int d = dims[s], sr = c.SrRatios[s];
                string p = $"{E}stage{s + 1}.{b}.";
                yield return (p + "norm1.weight", [d]);
                yield return (p + "norm1.bias", [d]);
                yield return (p + "attn.q.weight", [d, d]);
                yield return (p + "attn.q.bias", [d]);
                yield return (p + "attn.kv.weight", [2 * d, d]);
                yield return (p + "attn.kv.bias", [2 * d]);
                if (sr > 1)
                {
                    yield return (p + "attn.sr.weight", [d, 1, sr + 1, sr + 1, sr + 1]);
                    yield return (p + "attn.sr.bias", [d]);
                    yield return (p + "attn.sr_norm.weight", [d]);
                    yield return (p + "attn.sr_norm.bias", [d]);
                }
                yield return (p + "attn.up_norm.weight", [d]);
                yield return (p + "attn.up_norm.bias", [d]);
                yield return (p + "attn.proj.weight", [d, d]);
                yield return (p + "attn.proj.bias", [d]);
                yield return (p + "norm2.weight", [d]);
                yield return (p + "norm2.bias", [d]);
                yield return (p + "mlp.fc1.weight", [4 * d, d]);
                yield return (p + "mlp.fc1.bias", [4 * d]);
                yield return (p + "mlp.fc2.weight", [d, 4 * d]);
                yield return (p + "mlp.fc2.bias", [d]);
            }
        for (int k = 0; k < 4; k++)
        {
            yield return ($"{E}channel_mapper{k + 1}.weight", [c.MapperChans[k], dims[k], 1, 1, 1]);
            yield return ($"{E}channel_mapper{k + 1}.bias", [c.MapperChans[k]]);
        }
    }

    private static IEnumerable<(string, int[])> BatchNorm(string p, int channels)
    {
        yield return (p + ".weight", [channels]);
        yield return (p + ".bias", [channels]);
        yield return (p + ".running_mean", [channels]);
        yield return (p + ".running_var", [channels]);
        yield return (p + ".num_batches_tracked", []);
    }

    private static IEnumerable<(string, int[])> DecoderKeys(CtSam3DConfig c)
    {
        const string D = Decoder;
        int t = c.TransformerDim, h = c.SpadeHidden;
        int[] upIn = [t, t, t, t, t / 2], upOut = [t / 2, t / 2, t / 2, t / 2, t / 4];
        for (int u = 1; u <= 5; u++)
        {
            string p = $"{D}upscale{u}.cna.";
            yield return (p + "0.weight", [upIn[u - 1], upOut[u - 1], 2, 2, 2]);
            yield return (p + "0.bias", [upOut[u - 1]]);
            yield return (p + "1.weight", [upOut[u - 1]]);
            yield return (p + "1.bias", [upOut[u - 1]]);
        }
        for (int s = 1; s <= 5; s++)
        {
            int w = s == 5 ? t / 2 : t;
            string p = $"{D}spade{s}.";
            yield return (p + "conv_0.weight", [w, w, 3, 3, 3]);
            yield return (p + "conv_0.bias", [w]);
            yield return (p + "conv_1.weight", [w, w, 3, 3, 3]);
            yield return (p + "conv_1.bias", [w]);
            foreach (var n in new[] { "norm_0", "norm_1" })
            {
                yield return ($"{p}{n}.mlp_shared.0.weight", [h, 3, 3, 3, 3]);
                yield return ($"{p}{n}.mlp_shared.0.bias", [h]);
                yield return ($"{p}{n}.mlp_gamma.weight", [w, h, 3, 3, 3]);
                yield return ($"{p}{n}.mlp_gamma.bias", [w]);
                yield return ($"{p}{n}.mlp_beta.weight", [w, h, 3, 3, 3]);
                yield return ($"{p}{n}.mlp_beta.bias", [w]);
            }
        }
        yield return (D + "mask_prediction_head.0.weight", [c.HeadChannels, t / 4, 3, 3, 3]);
        yield return (D + "mask_prediction_head.0.bias", [c.HeadChannels]);
        int[] iou = [t / 4, .. Enumerable.Repeat(c.IouHeadHiddenDim, c.IouHeadDepth - 1), c.HeadChannels];
        for (int l = 0; l < c.IouHeadDepth; l++)
        {
            yield return ($"{D}iou_prediction_head.layers.{l}.weight", [iou[l + 1], iou[l]]);
            yield return ($"{D}iou_prediction_head.layers.{l}.bias", [iou[l + 1]]);
        }
    }

    /// <summary>The MONAI UNet of the cross-patch prompt network (spec §5, Appendix B), in its key order.</summary>
    public static IEnumerable<(string Name, int[] Shape)> CrossPatch(CtSam3DConfig c)
    {
        var keys = new List<(string, int[])>();
        CrossPatchBlock(keys, CppPrefix + "model", 3, 1, c.CppChannels, 0, isTop: true);
        return keys;
    }

    private static void CrossPatchBlock(List<(string, int[])> keys, string p, int cin, int cout, int[] ch, int level, bool isTop)
    {
        int c = ch[level];
        ResidualUnit(keys, p + ".0", cin, c, stride: 2, units: 2, lastConvOnly: false);
        int upIn;
        if (level + 2 < ch.Length)
        {
            CrossPatchBlock(keys, p + ".1.submodule", c, c, ch, level + 1, isTop: false);
            upIn = 2 * c;
        }
        else
        {
            ResidualUnit(keys, p + ".1.submodule", c, ch[level + 1], stride: 1, units: 2, lastConvOnly: false);
            upIn = c + ch[level + 1];
        }
        keys.Add(($"{p}.2.0.conv.weight", [upIn, cout, 3, 3, 3]));
        keys.Add(($"{p}.2.0.conv.bias", [cout]));
        keys.Add(($"{p}.2.0.adn.A.weight", [1]));
        ResidualUnit(keys, p + ".2.1", cout, cout, stride: 1, units: 1, lastConvOnly: isTop);
    }

    private static void ResidualUnit(List<(string, int[])> keys, string p, int cin, int cout, int stride, int units, bool lastConvOnly)
    {
        for (int u = 0; u < units; u++)
        {
            keys.Add(($"{p}.conv.unit{u}.conv.weight", [cout, u == 0 ? cin : cout, 3, 3, 3]));
            keys.Add(($"{p}.conv.unit{u}.conv.bias", [cout]));
            if (!(lastConvOnly && u == units - 1)) keys.Add(($"{p}.conv.unit{u}.adn.A.weight", [1]));
        }
        if (stride != 1) keys.Add(($"{p}.residual.weight", [cout, cin, 3, 3, 3]));
        else if (cin != cout) keys.Add(($"{p}.residual.weight", [cout, cin, 1, 1, 1]));
        if (stride != 1 || cin != cout) keys.Add(($"{p}.residual.bias", [cout]));
    }
}
