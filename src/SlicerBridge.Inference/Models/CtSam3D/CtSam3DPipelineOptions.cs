using System.Text.Json;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// The interactive pipeline around the network (spec §8): resampling grid, intensity window, padding, cross-patch
/// extension and the shared feature cache. Read from the <c>pipeline</c> object of a configuration JSON; the defaults are
/// the released <c>config.py</c> (1.5 mm, [−125, 225] HU, pad −1024).
/// </summary>
public sealed record CtSam3DPipelineOptions
{
    public double SpacingMm { get; init; } = 1.5;
    public float WindowMin { get; init; } = -125;
    public float WindowMax { get; init; } = 225;
    public float PadValue { get; init; } = -1024;

    /// <summary>
    /// Most patches one segmentation may use, the clicked patches and the ones the cross-patch network adds for an
    /// object that reaches a patch face (1 = never extend).
    /// </summary>
    public int MaxPatches { get; init; } = 4;

    /// <summary>Smallest cross-patch heatmap peak that prompts a neighbour patch (the network was trained against Gaussians of peak 1).</summary>
    public float CrossPatchThreshold { get; init; } = 0.5f;

    /// <summary>Bytes of encoder features kept across sessions and clients.</summary>
    public long FeatureCacheBytes { get; init; } = 256L << 20;

    /// <summary>The <c>pipeline</c> object of a configuration file; defaults when it has none.</summary>
    public static CtSam3DPipelineOptions FromFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        if (!doc.RootElement.TryGetProperty("pipeline", out var p)) return new();
        var d = new CtSam3DPipelineOptions();
        float windowMin = d.WindowMin, windowMax = d.WindowMax;
        if (p.TryGetProperty("window", out var window))
        {
            var v = window.EnumerateArray().Select(x => x.GetSingle()).ToArray();
            if (v.Length != 2) throw new ArgumentException($"{path}: pipeline.window must be [min, max].");
            (windowMin, windowMax) = (v[0], v[1]);
        }
        var options = new CtSam3DPipelineOptions
        {
            SpacingMm = p.TryGetProperty("spacing_mm", out var s) ? s.GetDouble() : d.SpacingMm,
            WindowMin = windowMin,
            WindowMax = windowMax,
            PadValue = p.TryGetProperty("pad_value", out var pad) ? pad.GetSingle() : d.PadValue,
            MaxPatches = p.TryGetProperty("max_patches", out var m) ? m.GetInt32() : d.MaxPatches,
            CrossPatchThreshold = p.TryGetProperty("cross_patch_threshold", out var t) ? t.GetSingle() : d.CrossPatchThreshold,
            FeatureCacheBytes = p.TryGetProperty("feature_cache_bytes", out var b) ? b.GetInt64() : d.FeatureCacheBytes,
        };
        if (!(options.SpacingMm > 0) || !(options.WindowMin < options.WindowMax) || options.MaxPatches is < 1 or > 64 ||
            !float.IsFinite(options.CrossPatchThreshold) || !float.IsFinite(options.PadValue) || options.FeatureCacheBytes < 0)
            throw new ArgumentException($"{path}: pipeline options out of range (spacing_mm > 0, window min < max, max_patches 1..64, finite threshold and pad, feature_cache_bytes ≥ 0).");
        return options;
    }
}
