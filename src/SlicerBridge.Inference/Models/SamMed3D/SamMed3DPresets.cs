namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Resolves what a user writes as a SAM-Med3D "config" into the network configuration and the pipeline options:
/// a preset name (<c>sam-med3d-turbo</c>, the default; <c>sam-med3d-turbo-ct</c>, the same network with the
/// [−1000, 1000] HU clamp used in training), or a JSON file with a <c>config</c> object (as in the fixtures) and an
/// optional <c>pipeline</c> object.
/// </summary>
public static class SamMed3DPresets
{
    public const string Turbo = "sam-med3d-turbo";
    public const string TurboCt = "sam-med3d-turbo-ct";

    public static (SamMed3DConfig Config, SamMed3DPipelineOptions Pipeline) Resolve(string? presetOrPath)
    {
        if (string.IsNullOrEmpty(presetOrPath) || presetOrPath.Equals(Turbo, StringComparison.OrdinalIgnoreCase) ||
            presetOrPath.Equals("turbo", StringComparison.OrdinalIgnoreCase) || presetOrPath.Equals("vit_b_ori", StringComparison.OrdinalIgnoreCase))
            return (SamMed3DConfig.Turbo, new SamMed3DPipelineOptions());
        if (presetOrPath.Equals(TurboCt, StringComparison.OrdinalIgnoreCase))
            return (SamMed3DConfig.Turbo, SamMed3DPipelineOptions.Ct);
        if (!File.Exists(presetOrPath))
            throw new ArgumentException($"'{presetOrPath}' is neither a known preset ({Turbo}, {TurboCt}) nor an existing configuration file.");
        return (SamMed3DConfig.FromFile(presetOrPath), SamMed3DPipelineOptions.FromFile(presetOrPath));
    }
}
