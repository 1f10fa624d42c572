using System.Text.Json;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The interactive pipeline around the network (spec §7.5): resampling, optional CT clamp, crop extension and the
/// shared embedding cache. Read from the <c>pipeline</c> object of a configuration JSON, or set by a preset
/// (see <see cref="SamMed3DPresets"/>).
/// </summary>
public sealed record SamMed3DPipelineOptions
{
    public double SpacingMm { get; init; } = 1.5;
    public float? ClampMin { get; init; }
    public float? ClampMax { get; init; }
    /// <summary>Most crops one segmentation may use when the object extends past the first crop (1 = never extend).</summary>
    public int MaxCrops { get; init; } = 8;
    /// <summary>Bytes of image embeddings kept across sessions and clients.</summary>
    public long EmbeddingCacheBytes { get; init; } = 256L << 20;

    public static SamMed3DPipelineOptions Ct { get; } = new() { ClampMin = -1000, ClampMax = 1000 };

    /// <summary>The <c>pipeline</c> object of a configuration file; defaults when it has none.</summary>
    public static SamMed3DPipelineOptions FromFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        if (!doc.RootElement.TryGetProperty("pipeline", out var p)) return new();
        var d = new SamMed3DPipelineOptions();
        float? clampMin = null, clampMax = null;
        if (p.TryGetProperty("clamp", out var clamp) && clamp.ValueKind == JsonValueKind.Array)
        {
            var v = clamp.EnumerateArray().Select(x => x.GetSingle()).ToArray();
            if (v.Length != 2 || !(v[0] < v[1])) throw new ArgumentException($"{path}: pipeline.clamp must be [min, max] with min < max.");
            (clampMin, clampMax) = (v[0], v[1]);
        }
        var options = new SamMed3DPipelineOptions
        {
            SpacingMm = p.TryGetProperty("spacing_mm", out var s) ? s.GetDouble() : d.SpacingMm,
            ClampMin = clampMin,
            ClampMax = clampMax,
            MaxCrops = p.TryGetProperty("max_crops", out var m) ? m.GetInt32() : d.MaxCrops,
            EmbeddingCacheBytes = p.TryGetProperty("embedding_cache_bytes", out var b) ? b.GetInt64() : d.EmbeddingCacheBytes,
        };
        if (!(options.SpacingMm > 0) || options.MaxCrops < 1 || options.EmbeddingCacheBytes < 0)
            throw new ArgumentException($"{path}: pipeline options out of range (spacing_mm > 0, max_crops ≥ 1, embedding_cache_bytes ≥ 0).");
        return options;
    }
}
