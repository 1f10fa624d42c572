using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// Hyper-parameters of a SAM-Med2D network (ViT with adapters, spec ../shared/docs/sam-med2d.md §1), named as in the
/// fixture's <c>fixture.json</c> <c>config</c> object. The defaults are the released <c>sam-med2d_b.pth</c> (vit_b,
/// image size 256, adapters on).
/// </summary>
public sealed record SamMed2DConfig
{
    public int ImageSize { get; init; } = 256;
    public int PatchSize { get; init; } = 16;
    public int WindowSize { get; init; } = 14;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public int[] GlobalAttnIndexes { get; init; } = [2, 5, 8, 11];
    public int MlpRatio { get; init; } = 4;
    /// <summary>False: the same network without the adapters (the README's "SAM-Med2D*"); their keys are then not read.</summary>
    public bool EncoderAdapter { get; init; } = true;
    public double AdapterMlpRatio { get; init; } = 0.25;
    public int PromptEmbedDim { get; init; } = 256;
    public int MaskInChans { get; init; } = 16;
    public int DecoderDepth { get; init; } = 2;
    public int DecoderHeads { get; init; } = 8;
    public int DecoderMlpDim { get; init; } = 2048;
    public int AttentionDownsampleRate { get; init; } = 2;
    public int NumMultimaskOutputs { get; init; } = 3;
    public int IouHeadDepth { get; init; } = 3;
    public int IouHeadHiddenDim { get; init; } = 256;
    /// <summary>ImageNet statistics in 0–255 units, per channel of the H×W×3 array (float32, as the model's buffers).</summary>
    public float[] PixelMean { get; init; } = [123.675f, 116.28f, 103.53f];
    public float[] PixelStd { get; init; } = [58.395f, 57.12f, 57.375f];

    /// <summary>The released vit_b configuration.</summary>
    public static SamMed2DConfig Released { get; } = new();

    /// <summary>Token grid edge (256 / 16 = 16).</summary>
    public int Grid => ImageSize / PatchSize;
    /// <summary>Low-res logit grid edge (4 × grid = 64).</summary>
    public int LowResSize => Grid * 4;
    public int HeadDim => EmbedDim / NumHeads;
    public int NumMaskTokens => NumMultimaskOutputs + 1;
    public int AdapterHidden => (int)(EmbedDim * AdapterMlpRatio);
    public bool IsGlobal(int block) => GlobalAttnIndexes.Contains(block);
    /// <summary>Attention window edge of a block: the whole grid for global blocks (or window 0), else the window.</summary>
    public int WindowOf(int block) => IsGlobal(block) || WindowSize == 0 ? Grid : WindowSize;

    /// <summary>The released configuration for null or "sam-med2d-b"; else a JSON file with a <c>config</c> object (a fixture) or the config itself.</summary>
    public static SamMed2DConfig Resolve(string? presetOrPath)
    {
        if (string.IsNullOrEmpty(presetOrPath) || presetOrPath.Equals("sam-med2d-b", StringComparison.OrdinalIgnoreCase)) return Released;
        if (!File.Exists(presetOrPath))
            throw new ArgumentException($"SAM-Med2D configuration '{presetOrPath}' is neither the preset sam-med2d-b nor an existing JSON file.");
        return FromFile(presetOrPath);
    }

    public static SamMed2DConfig FromFile(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement.TryGetProperty("config", out var inner) ? inner : doc.RootElement;
            return FromJson(root);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException or JsonException)
        {
            throw new ArgumentException($"{path}: invalid SAM-Med2D configuration ({ex.Message}).", ex);
        }
    }

    public static SamMed2DConfig FromJson(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException("the configuration must be a JSON object");
        var d = Released;
        int Int(string name, int fallback) => e.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
        float[] Floats(string name, float[] fallback) =>
            e.TryGetProperty(name, out var v) ? v.EnumerateArray().Select(x => x.GetSingle()).ToArray() : fallback;
        var config = new SamMed2DConfig
        {
            ImageSize = Int("image_size", d.ImageSize),
            PatchSize = Int("patch_size", d.PatchSize),
            WindowSize = Int("window_size", d.WindowSize),
            EmbedDim = Int("encoder_embed_dim", d.EmbedDim),
            Depth = Int("encoder_depth", d.Depth),
            NumHeads = Int("encoder_num_heads", d.NumHeads),
            GlobalAttnIndexes = e.TryGetProperty("encoder_global_attn_indexes", out var g) ? g.EnumerateArray().Select(x => x.GetInt32()).ToArray() : d.GlobalAttnIndexes,
            MlpRatio = Int("mlp_ratio", d.MlpRatio),
            EncoderAdapter = e.TryGetProperty("encoder_adapter", out var a) ? a.GetBoolean() : d.EncoderAdapter,
            AdapterMlpRatio = e.TryGetProperty("adapter_mlp_ratio", out var r) ? r.GetDouble() : d.AdapterMlpRatio,
            PromptEmbedDim = Int("prompt_embed_dim", d.PromptEmbedDim),
            MaskInChans = Int("mask_in_chans", d.MaskInChans),
            DecoderDepth = Int("decoder_depth", d.DecoderDepth),
            DecoderHeads = Int("decoder_num_heads", d.DecoderHeads),
            DecoderMlpDim = Int("decoder_mlp_dim", d.DecoderMlpDim),
            AttentionDownsampleRate = Int("attention_downsample_rate", d.AttentionDownsampleRate),
            NumMultimaskOutputs = Int("num_multimask_outputs", d.NumMultimaskOutputs),
            IouHeadDepth = Int("iou_head_depth", d.IouHeadDepth),
            IouHeadHiddenDim = Int("iou_head_hidden_dim", d.IouHeadHiddenDim),
            PixelMean = Floats("pixel_mean", d.PixelMean),
            PixelStd = Floats("pixel_std", d.PixelStd),
        };
        config.Validate();
        return config;
    }

    /// <summary>The configuration in the fixture's <c>config</c> form.</summary>
    public JsonObject ToJson() => new()
    {
        ["image_size"] = ImageSize, ["patch_size"] = PatchSize, ["window_size"] = WindowSize, ["encoder_embed_dim"] = EmbedDim,
        ["encoder_depth"] = Depth, ["encoder_num_heads"] = NumHeads,
        ["encoder_global_attn_indexes"] = new JsonArray([.. GlobalAttnIndexes.Select(i => (JsonNode)i)]),
        ["mlp_ratio"] = MlpRatio, ["encoder_adapter"] = EncoderAdapter, ["adapter_mlp_ratio"] = AdapterMlpRatio,
        ["prompt_embed_dim"] = PromptEmbedDim, ["mask_in_chans"] = MaskInChans, ["decoder_depth"] = DecoderDepth,
        ["decoder_num_heads"] = DecoderHeads, ["decoder_mlp_dim"] = DecoderMlpDim, ["attention_downsample_rate"] = AttentionDownsampleRate,
        ["num_multimask_outputs"] = NumMultimaskOutputs, ["iou_head_depth"] = IouHeadDepth, ["iou_head_hidden_dim"] = IouHeadHiddenDim,
        ["pixel_mean"] = new JsonArray([.. PixelMean.Select(v => (JsonNode)v)]), ["pixel_std"] = new JsonArray([.. PixelStd.Select(v => (JsonNode)v)]),
    };

    public void Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new FormatException(what); }
        Require(PatchSize > 0 && ImageSize > 0 && ImageSize % PatchSize == 0, $"image_size {ImageSize} must be a positive multiple of patch_size {PatchSize}");
        Require(NumHeads > 0 && EmbedDim > 0 && EmbedDim % NumHeads == 0, $"encoder_embed_dim {EmbedDim} must be a multiple of encoder_num_heads {NumHeads}");
        Require(Depth > 0 && MlpRatio > 0, "encoder_depth and mlp_ratio must be positive");
        Require(GlobalAttnIndexes.All(i => i >= 0 && i < Depth), "encoder_global_attn_indexes must lie within encoder_depth");
        Require(WindowSize >= 0, "window_size must not be negative");
        Require(!EncoderAdapter || AdapterHidden > 0, "adapter_mlp_ratio gives an empty adapter");
        Require(PromptEmbedDim > 0 && PromptEmbedDim % 8 == 0, $"prompt_embed_dim {PromptEmbedDim} must be a multiple of 8 (/8 hypernetwork width, /2 Fourier features)");
        Require(AttentionDownsampleRate > 0 && PromptEmbedDim % AttentionDownsampleRate == 0, "prompt_embed_dim must divide by attention_downsample_rate");
        Require(DecoderHeads > 0 && PromptEmbedDim / AttentionDownsampleRate % DecoderHeads == 0, "the cross-attention width must divide by decoder_num_heads");
        Require(MaskInChans > 0 && MaskInChans % 4 == 0, "mask_in_chans must be a positive multiple of 4");
        Require(IouHeadDepth >= 1 && DecoderDepth >= 1 && NumMultimaskOutputs >= 1, "decoder depths and num_multimask_outputs must be positive");
        Require(PixelMean.Length == 3 && PixelStd.Length == 3 && PixelStd.All(s => s > 0), "pixel_mean and pixel_std need 3 values (std > 0)");
    }
}
