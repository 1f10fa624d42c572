namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// Resolves what a user writes as a CT-SAM3D "config": the preset <c>ct-sam3d-tiny</c> (the default; also
/// <c>restv2_tiny</c>, the released <c>params.pth</c>) or a JSON file with a <c>config</c> object (as in the fixture) and an
/// optional <c>pipeline</c> object.
/// </summary>
public static class CtSam3DPresets
{
    public const string Tiny = "ct-sam3d-tiny";

    public static (CtSam3DConfig Config, CtSam3DPipelineOptions Pipeline) Resolve(string? presetOrPath)
    {
        if (string.IsNullOrEmpty(presetOrPath) || presetOrPath.Equals(Tiny, StringComparison.OrdinalIgnoreCase) ||
            presetOrPath.Equals("restv2_tiny", StringComparison.OrdinalIgnoreCase))
            return (CtSam3DConfig.Tiny, new CtSam3DPipelineOptions());
        if (!File.Exists(presetOrPath))
            throw new ArgumentException($"'{presetOrPath}' is neither the known preset ({Tiny}) nor an existing configuration file.");
        return (CtSam3DConfig.FromFile(presetOrPath), CtSam3DPipelineOptions.FromFile(presetOrPath));
    }
}
