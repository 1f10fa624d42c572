using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Tensors.Cpu;

namespace SlicerBridge.Host.Hosting;

/// <summary>Where models run, as GetStatus and ListModels report it.</summary>
public static class ModelDevices
{
    public const string PlainCpu = "cpu";
    private static readonly string SamMed3DKind = new SamMed3DModelFactory().Kind;

    /// <summary>
    /// The device a model of <paramref name="kind"/> runs on: SAM-Med3D runs on the tensor backend (this build: the CPU
    /// backend, named with its threads and instruction set), GrowCut and other built-in models on plain CPU code.
    /// </summary>
    public static string Of(string kind) =>
        string.Equals(kind, SamMed3DKind, StringComparison.OrdinalIgnoreCase) ? CpuBackend.Instance.Name : PlainCpu;

    /// <summary>
    /// The server's device: the distinct devices of the loaded models ("cpu" when none is loaded, or only plain CPU models).
    /// A backend name replaces plain "cpu", which it already says.
    /// </summary>
    public static string Summarize(IEnumerable<ModelInfo> models)
    {
        var devices = models.Where(m => m.Loaded).Select(m => Of(m.Kind)).Distinct(StringComparer.Ordinal).ToList();
        if (devices.Count > 1) devices.Remove(PlainCpu);
        return devices.Count == 0 ? PlainCpu : string.Join(", ", devices);
    }
}
