using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Hosting;

/// <summary>Where models run, as GetStatus and ListModels report it.</summary>
public static class ModelDevices
{
    public const string PlainCpu = "cpu";

    /// <summary>What a model reports once loaded (provider and precision, e.g. "cuda:0 fp32"); null before.</summary>
    public static string? Of(ModelInfo model) => model.Loaded ? model.Device ?? PlainCpu : null;

    /// <summary>
    /// The server's device: the distinct devices of the loaded models ("cpu" when none is loaded, or only plain CPU models).
    /// A more specific name replaces plain "cpu", which it already says.
    /// </summary>
    public static string Summarize(IEnumerable<ModelInfo> models)
    {
        var devices = models.Select(Of).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (devices.Count > 1) devices.Remove(PlainCpu);
        return devices.Count == 0 ? PlainCpu : string.Join(", ", devices);
    }
}
