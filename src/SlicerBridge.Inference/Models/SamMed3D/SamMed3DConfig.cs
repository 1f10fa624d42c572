using System.Text.Json;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Hyper-parameters of a SAM-Med3D (vit_b_ori) network, named as in the official builder and in the fixture's
/// <c>fixture.json</c>. <see cref="Turbo"/> is the released <c>sam_med3d_turbo.pth</c> (spec §1).
/// </summary>
public sealed record SamMed3DConfig
{
    public int ImageSize { get; init; } = 128;
    public int PatchSize { get; init; } = 16;
    public int WindowSize { get; init; } = 14;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public int[] GlobalAttnIndexes { get; init; } = [2, 5, 8, 11];
    public int PromptEmbedDim { get; init; } = 384;
    public int MaskInChans { get; init; } = 16;
    public int DecoderDepth { get; init; } = 2;
    public int DecoderHeads { get; init; } = 8;
    public int DecoderMlpDim { get; init; } = 2048;
    public int NumMultimaskOutputs { get; init; } = 3;
    public int IouHeadDepth { get; init; } = 3;
    public int IouHeadHiddenDim { get; init; } = 256;

    public static SamMed3DConfig Turbo { get; } = new();

    /// <summary>Token grid edge (128 / 16 = 8).</summary>
    public int Grid => ImageSize / PatchSize;
    /// <summary>Low-res logit grid edge (4 × grid = 32).</summary>
    public int LowResSize => Grid * 4;
    public int HeadDim => EmbedDim / NumHeads;
    public int NumMaskTokens => NumMultimaskOutputs + 1;
    public bool IsGlobal(int block) => GlobalAttnIndexes.Contains(block);

    /// <summary>The network configuration of a preset or configuration file (see <see cref="SamMed3DPresets"/>).</summary>
    public static SamMed3DConfig Resolve(string? presetOrPath) => SamMed3DPresets.Resolve(presetOrPath).Config;

    /// <summary>A JSON file with a <c>config</c> object (a fixture), or a JSON file that is the config itself.</summary>
    public static SamMed3DConfig FromFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement.TryGetProperty("config", out var inner) ? inner : doc.RootElement;
        try { return FromJson(root); }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"{path}: invalid SAM-Med3D configuration ({ex.Message}).", ex);
        }
    }

    public static SamMed3DConfig FromJson(JsonElement e)
    {
        int Int(string name, int fallback) => e.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
        var d = Turbo;
        var config = new SamMed3DConfig
        {
            ImageSize = Int("image_size", d.ImageSize),
            PatchSize = Int("patch_size", d.PatchSize),
            WindowSize = Int("window_size", d.WindowSize),
            EmbedDim = Int("embed_dim", d.EmbedDim),
            Depth = Int("depth", d.Depth),
            NumHeads = Int("num_heads", d.NumHeads),
            GlobalAttnIndexes = e.TryGetProperty("global_attn_indexes", out var g) ? g.EnumerateArray().Select(x => x.GetInt32()).ToArray() : d.GlobalAttnIndexes,
            PromptEmbedDim = Int("prompt_embed_dim", d.PromptEmbedDim),
            MaskInChans = Int("mask_in_chans", d.MaskInChans),
            DecoderDepth = Int("decoder_depth", d.DecoderDepth),
            DecoderHeads = Int("decoder_heads", d.DecoderHeads),
            DecoderMlpDim = Int("decoder_mlp_dim", d.DecoderMlpDim),
            NumMultimaskOutputs = Int("num_multimask_outputs", d.NumMultimaskOutputs),
            IouHeadDepth = Int("iou_head_depth", d.IouHeadDepth),
            IouHeadHiddenDim = Int("iou_head_hidden_dim", d.IouHeadHiddenDim),
        };
        config.Validate();
        return config;
    }

    /// <summary>The configuration in the fixture's <c>config</c> form (the names of the official builder).</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["image_size"] = ImageSize, ["patch_size"] = PatchSize, ["window_size"] = WindowSize, ["embed_dim"] = EmbedDim,
        ["depth"] = Depth, ["num_heads"] = NumHeads, ["global_attn_indexes"] = new System.Text.Json.Nodes.JsonArray([.. GlobalAttnIndexes.Select(i => (System.Text.Json.Nodes.JsonNode)i)]),
        ["prompt_embed_dim"] = PromptEmbedDim, ["mask_in_chans"] = MaskInChans, ["decoder_depth"] = DecoderDepth,
        ["decoder_heads"] = DecoderHeads, ["decoder_mlp_dim"] = DecoderMlpDim, ["num_multimask_outputs"] = NumMultimaskOutputs,
        ["iou_head_depth"] = IouHeadDepth, ["iou_head_hidden_dim"] = IouHeadHiddenDim,
    };

    public void Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new FormatException(what); }
        Require(PatchSize > 0 && ImageSize % PatchSize == 0, $"image_size {ImageSize} must be a multiple of patch_size {PatchSize}");
        Require(NumHeads > 0 && EmbedDim % NumHeads == 0, $"embed_dim {EmbedDim} must be a multiple of num_heads {NumHeads}");
        Require(Depth > 0, "depth must be positive");
        Require(GlobalAttnIndexes.All(i => i >= 0 && i < Depth), "global_attn_indexes must lie within depth");
        Require(WindowSize == 0 || WindowSize >= Grid, $"window_size {WindowSize} smaller than the token grid {Grid} (several windows) is not supported");
        Require(PromptEmbedDim % 24 == 0, $"prompt_embed_dim {PromptEmbedDim} must be a multiple of 24 (3 Fourier blocks; /8 hypernetwork width; /2 cross-attention)");
        Require(PromptEmbedDim / 2 % DecoderHeads == 0, $"prompt_embed_dim/2 must be a multiple of decoder_heads {DecoderHeads}");
        Require(MaskInChans % 4 == 0 && MaskInChans > 0, "mask_in_chans must be a positive multiple of 4");
        Require(IouHeadDepth >= 1 && DecoderDepth >= 1 && NumMultimaskOutputs >= 0, "decoder depths must be positive");
    }
}
