namespace SlicerBridge.Host.Configuration;

/// <summary>A model's "config" is a file or a preset name (e.g. sam-med3d-turbo); only what looks like a path must exist.</summary>
public static class ConfigArgument
{
    public static bool IsPath(string value) =>
        value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || value.Contains('/') || value.Contains('\\');
}
