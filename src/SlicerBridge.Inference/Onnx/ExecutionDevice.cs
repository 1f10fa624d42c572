using System.Globalization;

namespace SlicerBridge.Inference.Onnx;

/// <summary>Where a model is asked to run: <c>auto</c>, <c>cpu</c>, <c>cuda[:N]</c>, <c>tensorrt[:N]</c> or <c>coreml</c>.</summary>
public readonly record struct ExecutionDevice(ExecutionProviderKind Kind, int DeviceId = 0)
{
    public static ExecutionDevice Auto => new(ExecutionProviderKind.Auto);
    public static ExecutionDevice Cpu => new(ExecutionProviderKind.Cpu);

    public const string Syntax = "auto | cpu | cuda[:N] | tensorrt[:N] | coreml";

    public static ExecutionDevice Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Auto;
        var parts = text.Trim().ToLowerInvariant().Split(':');
        var kind = parts[0] switch
        {
            "auto" => ExecutionProviderKind.Auto,
            "cpu" => ExecutionProviderKind.Cpu,
            "cuda" or "gpu" => ExecutionProviderKind.Cuda,
            "tensorrt" or "trt" => ExecutionProviderKind.TensorRT,
            "coreml" => ExecutionProviderKind.CoreML,
            _ => throw new ArgumentException($"Device '{text}' is not one of {Syntax}."),
        };
        int id = 0;
        if (parts.Length > 2 || (parts.Length == 2 && (kind is not (ExecutionProviderKind.Cuda or ExecutionProviderKind.TensorRT)
                                 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out id) || id > 63)))
            throw new ArgumentException($"Device '{text}' is not one of {Syntax} (N is a GPU index 0–63).");
        return new ExecutionDevice(kind, id);
    }

    public override string ToString() => Kind switch
    {
        ExecutionProviderKind.Cuda => $"cuda:{DeviceId}",
        ExecutionProviderKind.TensorRT => $"tensorrt:{DeviceId}",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

public enum ExecutionProviderKind { Auto, Cpu, Cuda, TensorRT, CoreML }

/// <summary>Arithmetic precision of a model's graphs: fp32 everywhere, fp16 on GPUs.</summary>
public enum ModelPrecision { Fp32, Fp16 }

public static class ModelPrecisionNames
{
    public static ModelPrecision Parse(string? text) => (text ?? "fp32").Trim().ToLowerInvariant() switch
    {
        "" or "fp32" or "float32" => ModelPrecision.Fp32,
        "fp16" or "float16" or "half" => ModelPrecision.Fp16,
        _ => throw new ArgumentException($"Precision '{text}' is not fp32 or fp16."),
    };

    public static string Name(this ModelPrecision p) => p == ModelPrecision.Fp16 ? "fp16" : "fp32";
}
