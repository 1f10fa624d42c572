using Microsoft.ML.OnnxRuntime;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// The SAM-Med3D network on a ready crop (spec ../shared/docs/sam-med3d.md §2-§4), as used by the
/// interactive pipeline. Crop layout: float32 [S0][S1][S2] with S = image size (128), row-major,
/// axis 2 fastest (the PyTorch tensor [1,1,A0,A1,A2]). Point coordinates are crop voxel indices along
/// (A0, A1, A2) as floats (the +0.5 happens inside). Implementations are thread-safe.
/// </summary>
public interface ISamMed3DNetwork : IDisposable
{
    /// <summary>Input crop edge in voxels (128).</summary>
    int ImageSize { get; }

    /// <summary>Low-res logit grid edge (ImageSize / 4 = 32).</summary>
    int LowResSize { get; }

    /// <summary>Where the sessions run (provider, and why not the one asked for).</summary>
    ExecutionChoice Execution { get; }

    /// <summary>Arithmetic precision of the graphs (inputs and outputs are float32 in both).</summary>
    ModelPrecision Precision { get; }

    /// <summary>
    /// Runs the image encoder once: embedding C × G × G × G (G = ImageSize / patch = 8). On a GPU it stays in device
    /// memory unless <paramref name="toHost"/> asks for its values.
    /// </summary>
    SamImageEmbedding EncodeImage(ReadOnlySpan<float> crop, CancellationToken cancellationToken, bool toHost = false);

    /// <summary>
    /// Prompt encoder + mask decoder (multimask_output = false). <paramref name="previousLowResLogits"/> is the
    /// previous click's raw low-res logits (LowResSize³), or empty for the first click (zeros are used then).
    /// <paramref name="withIntermediates"/> also returns the sparse and dense prompt embeddings and the dense PE (parity checks, model-run).
    /// </summary>
    SamDecoderOutput Decode(SamImageEmbedding embedding, ReadOnlySpan<SamPoint> points, ReadOnlySpan<float> previousLowResLogits,
        bool withIntermediates = false, CancellationToken cancellationToken = default);
}

/// <summary>A click in crop voxel coordinates (A0, A1, A2); label 1 positive, 0 negative.</summary>
public readonly record struct SamPoint(float A0, float A1, float A2, int Label);

/// <summary>
/// Image embedding C × G³ (channels-first, row-major): a host array on the CPU, a value in device memory on a GPU (then
/// <see cref="Data"/> is not available: the decoder reads it where it is). An evicted device embedding's memory is
/// returned when it is collected (a decoder may still be reading it when the cache lets it go).
/// </summary>
public sealed class SamImageEmbedding : ICachedValue
{
    private readonly float[]? _host;

    public SamImageEmbedding(float[] host, int channels, int grid) : this(host, null, channels, grid) { }

    internal SamImageEmbedding(float[]? host, OrtValue? device, int channels, int grid)
    {
        _host = host;
        Device = device;
        Channels = channels;
        Grid = grid;
    }

    /// <summary>The embedding in device memory, or null when it is on the host.</summary>
    internal OrtValue? Device { get; }

    public bool OnHost => _host is not null;

    public float[] Data => _host ?? throw new InvalidOperationException("This embedding is in GPU memory; encode with toHost: true to read it.");

    public int Channels { get; }
    public int Grid { get; }
    public long SizeBytes => (_host?.LongLength ?? (long)Channels * Grid * Grid * Grid) * sizeof(float);
}

/// <summary>One decoder call: mask-0 low-res logits (LowResSize³, row-major, A2 fastest) and its IoU prediction.</summary>
public sealed class SamDecoderOutput
{
    public required float[] LowResLogits { get; init; }
    public required float Iou { get; init; }
    /// <summary>Sparse prompt tokens (N+1) × C, for parity checks.</summary>
    public float[]? SparseEmbedding { get; init; }
    /// <summary>Dense prompt embedding C × G³, for parity checks.</summary>
    public float[]? DenseEmbedding { get; init; }
    /// <summary>Dense positional encoding C × G³, for parity checks.</summary>
    public float[]? DensePe { get; init; }
}
