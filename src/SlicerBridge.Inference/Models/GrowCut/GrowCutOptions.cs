using System.Text.Json;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// Tunables of the GrowCut model. Defaults suit interactive use on CT/MR scans: 3 mm seed spheres, a 30 mm margin
/// box around the positive clicks when no ROI is given, and corrections whose reach scales with where they are clicked
/// (chosen on the simulated-user benchmark, docs/benchmarks.md "growcut-dice").
/// </summary>
public sealed record GrowCutOptions
{
    /// <summary>Radius in mm of the sphere painted around every click (the click's voxel is always painted).</summary>
    public double SeedRadiusMm { get; init; } = 3.0;

    /// <summary>Without an ROI the work region is the extent of the positive clicks grown by this many mm on every side.</summary>
    public double MarginMm { get; init; } = 30.0;

    /// <summary>
    /// Cost per mm of path added to the intensity differences, as a fraction of the region's robust intensity range (p1..p99).
    /// It splits flat areas by geometric distance instead of arbitrary ties; small enough that edges dominate.
    /// </summary>
    public double DistanceWeight { get; init; } = 1e-3;

    /// <summary>
    /// Without an ROI, the first positive click relabels voxels only within this factor times its depth: the distance from
    /// the click to the nearest voxel an unbounded growth leaves as background. This keeps a click in tissue that continues
    /// without an edge (grey matter into grey matter) from filling the whole margin box. 0: unbounded (the ROI or box bounds it).
    /// </summary>
    public double FirstClickReach { get; init; } = 2.0;

    /// <summary>
    /// A later positive click relabels voxels only within this factor times its distance to the current mask: it adds the
    /// missed part it sits in, up to about as far again as the gap it bridges.
    /// </summary>
    public double PositiveReach { get; init; } = 1.5;

    /// <summary>
    /// A negative click relabels voxels only within this factor times its depth in the current mask (the distance to the
    /// nearest background voxel): it removes the leak it sits in, about as far as that leak is thick.
    /// </summary>
    public double NegativeReach { get; init; } = 2.5;

    /// <summary>
    /// A positive correction adds only voxels whose intensity lies between this quantile and its complement of the
    /// intensities the mask already holds, so a click on missed structure does not pull in tissue of another kind.
    /// 0: no intensity gate.
    /// </summary>
    public double PositiveIntensityQuantile { get; init; } = 0.05;

    /// <summary>6 (faces) or 26 (faces, edges, corners) neighbours.</summary>
    public int Connectivity { get; init; } = 26;

    public void Validate()
    {
        if (!double.IsFinite(SeedRadiusMm) || SeedRadiusMm < 0) throw new ArgumentException($"SeedRadiusMm must be >= 0, got {SeedRadiusMm}.");
        if (!double.IsFinite(MarginMm) || MarginMm <= 0) throw new ArgumentException($"MarginMm must be > 0, got {MarginMm}.");
        if (!double.IsFinite(DistanceWeight) || DistanceWeight <= 0) throw new ArgumentException($"DistanceWeight must be > 0, got {DistanceWeight}.");
        foreach (var (name, reach) in new[] { (nameof(FirstClickReach), FirstClickReach), (nameof(PositiveReach), PositiveReach), (nameof(NegativeReach), NegativeReach) })
            if (!double.IsFinite(reach) || reach < 0) throw new ArgumentException($"{name} must be >= 0, got {reach}.");
        if (!(PositiveIntensityQuantile >= 0 && PositiveIntensityQuantile < 0.5))
            throw new ArgumentException($"PositiveIntensityQuantile must be in [0, 0.5), got {PositiveIntensityQuantile}.");
        if (Connectivity is not (6 or 26)) throw new ArgumentException($"Connectivity must be 6 or 26, got {Connectivity}.");
    }

    /// <summary>Reads options from a JSON object file (keys are the property names, any case); unknown keys are an error.</summary>
    public static GrowCutOptions Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"GrowCut config '{path}' not found.", path);
        var options = new GrowCutOptions();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException($"GrowCut config '{path}' must be a JSON object.");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                options = property.Name.ToLowerInvariant() switch
                {
                    "seedradiusmm" => options with { SeedRadiusMm = property.Value.GetDouble() },
                    "marginmm" => options with { MarginMm = property.Value.GetDouble() },
                    "distanceweight" => options with { DistanceWeight = property.Value.GetDouble() },
                    "firstclickreach" => options with { FirstClickReach = property.Value.GetDouble() },
                    "positivereach" => options with { PositiveReach = property.Value.GetDouble() },
                    "negativereach" => options with { NegativeReach = property.Value.GetDouble() },
                    "positiveintensityquantile" => options with { PositiveIntensityQuantile = property.Value.GetDouble() },
                    "connectivity" => options with { Connectivity = property.Value.GetInt32() },
                    _ => throw new ArgumentException($"GrowCut config '{path}': unknown key '{property.Name}' (known: seedRadiusMm, marginMm, distanceWeight, firstClickReach, positiveReach, negativeReach, positiveIntensityQuantile, connectivity)."),
                };
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"GrowCut config '{path}' is not valid: {ex.Message}", ex);
        }
        options.Validate();
        return options;
    }
}
