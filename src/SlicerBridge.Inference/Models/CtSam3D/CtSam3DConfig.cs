using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// Hyper-parameters of a CT-SAM3D network (spec ../shared/docs/ct-sam3d.md §1), named as in the official builder and in
/// the fixture's <c>fixture.json</c>. <see cref="Tiny"/> is the released <c>restv2_tiny</c> (<c>params.pth</c>).
/// </summary>
public sealed record CtSam3DConfig
{
    public int ImageSize { get; init; } = 64;
    public int[] EmbedDims { get; init; } = [96, 192, 384, 768];
    public int[] NumHeads { get; init; } = [1, 2, 4, 8];
    public int[] Depths { get; init; } = [1, 2, 6, 2];
    public int[] SrRatios { get; init; } = [8, 4, 2, 1];
    /// <summary>Width of the deepest encoder map (channel_mapper4); the other mappers give half of it.</summary>
    public int OutChans { get; init; } = 256;
    /// <summary>Decoder width: the SPADE blocks at 2³…16³; spade5 has half, the last up-sampling a quarter.</summary>
    public int TransformerDim { get; init; } = 256;
    public int SpadeHidden { get; init; } = 128;
    public int PromptEmbedDim { get; init; } = 256;
    public int IouHeadDepth { get; init; } = 3;
    public int IouHeadHiddenDim { get; init; } = 256;
    public int NumMultimaskOutputs { get; init; } = 1;
    public int[] CppChannels { get; init; } = [16, 32, 64, 128, 256];

    public static CtSam3DConfig Tiny { get; } = new();

    /// <summary>Channel-mapper output widths (F0..F3).</summary>
    public int[] MapperChans => [OutChans / 2, OutChans / 2, OutChans / 2, OutChans];

    /// <summary>Token grid edge of stage k (16, 8, 4, 2 for a 64³ patch).</summary>
    public int StageGrid(int stage) => ImageSize / (4 << stage);

    /// <summary>Output channels of the mask head (mask + multimask outputs).</summary>
    public int HeadChannels => NumMultimaskOutputs + 1;

    public static CtSam3DConfig FromFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement.TryGetProperty("config", out var inner) ? inner : doc.RootElement;
        try { return FromJson(root); }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"{path}: invalid CT-SAM3D configuration ({ex.Message}).", ex);
        }
    }

    public static CtSam3DConfig FromJson(JsonElement e)
    {
        var d = Tiny;
        int Int(string name, int fallback) => e.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
        int[] Ints(string name, int[] fallback) => e.TryGetProperty(name, out var v) ? v.EnumerateArray().Select(x => x.GetInt32()).ToArray() : fallback;
        var config = new CtSam3DConfig
        {
            ImageSize = Int("image_size", d.ImageSize),
            EmbedDims = Ints("embed_dims", d.EmbedDims),
            NumHeads = Ints("num_heads", d.NumHeads),
            Depths = Ints("depths", d.Depths),
            SrRatios = Ints("sr_ratios", d.SrRatios),
            OutChans = Int("out_chans", d.OutChans),
            TransformerDim = Int("transformer_dim", d.TransformerDim),
            SpadeHidden = Int("spade_nhidden", d.SpadeHidden),
            PromptEmbedDim = Int("prompt_embed_dim", d.PromptEmbedDim),
            IouHeadDepth = Int("iou_head_depth", d.IouHeadDepth),
            IouHeadHiddenDim = Int("iou_head_hidden_dim", d.IouHeadHiddenDim),
            NumMultimaskOutputs = Int("num_multimask_outputs", d.NumMultimaskOutputs),
            CppChannels = Ints("cpp_channels", d.CppChannels),
        };
        if (e.TryGetProperty("cpp_strides", out var strides) && strides.EnumerateArray().Any(s => s.GetInt32() != 2))
            throw new FormatException("cpp_strides other than 2 are not supported");
        if (e.TryGetProperty("cpp_num_res_units", out var units) && units.GetInt32() != 2)
            throw new FormatException("cpp_num_res_units other than 2 is not supported");
        config.Validate();
        return config;
    }

    /// <summary>The configuration in the fixture's <c>config</c> form.</summary>
    public JsonObject ToJson()
    {
        static JsonArray Array(int[] v) => new([.. v.Select(x => (JsonNode)x)]);
        return new JsonObject
        {
            ["image_size"] = ImageSize, ["embed_dims"] = Array(EmbedDims), ["num_heads"] = Array(NumHeads), ["depths"] = Array(Depths),
            ["sr_ratios"] = Array(SrRatios), ["out_chans"] = OutChans, ["transformer_dim"] = TransformerDim, ["spade_nhidden"] = SpadeHidden,
            ["prompt_embed_dim"] = PromptEmbedDim, ["iou_head_depth"] = IouHeadDepth, ["iou_head_hidden_dim"] = IouHeadHiddenDim,
            ["num_multimask_outputs"] = NumMultimaskOutputs, ["cpp_channels"] = Array(CppChannels),
        };
    }

    public void Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new FormatException(what); }
        Require(ImageSize == 64, $"image_size must be 64 (the official builder asserts it), got {ImageSize}");
        Require(EmbedDims.Length == 4 && NumHeads.Length == 4 && Depths.Length == 4 && SrRatios.Length == 4, "embed_dims, num_heads, depths and sr_ratios need 4 stages");
        for (int k = 0; k < 4; k++)
        {
            Require(EmbedDims[k] > 0 && NumHeads[k] > 0 && EmbedDims[k] % NumHeads[k] == 0, $"embed_dims[{k}] must be a positive multiple of num_heads[{k}]");
            Require(Depths[k] >= 1 && Depths[k] <= 64, $"depths[{k}] must be 1..64");
            Require(SrRatios[k] >= 1 && SrRatios[k] <= StageGrid(k), $"sr_ratios[{k}] must be 1..{StageGrid(k)}");
        }
        for (int k = 1; k < 4; k++) Require(EmbedDims[k] == 2 * EmbedDims[k - 1], "each stage doubles the embedding width (PatchEmbed C → 2C)");
        Require(OutChans > 0 && OutChans % 2 == 0, "out_chans must be a positive even number");
        Require(TransformerDim == OutChans, "transformer_dim must equal out_chans (spade1 runs on the deepest map)");
        Require(TransformerDim % 4 == 0 && TransformerDim / 2 == OutChans / 2, "transformer_dim must be a multiple of 4");
        Require(SpadeHidden > 0 && IouHeadDepth >= 1 && IouHeadHiddenDim > 0, "spade_nhidden, iou_head_depth and iou_head_hidden_dim must be positive");
        Require(NumMultimaskOutputs >= 0, "num_multimask_outputs must not be negative");
        Require(CppChannels.Length >= 2 && CppChannels.All(c => c > 0), "cpp_channels needs at least two positive widths");
    }
}
