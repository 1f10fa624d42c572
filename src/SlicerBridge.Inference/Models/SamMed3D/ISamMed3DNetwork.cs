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

    /// <summary>Runs the image encoder once: embedding C × G × G × G (G = ImageSize / patch = 8).</summary>
    SamImageEmbedding EncodeImage(ReadOnlySpan<float> crop, CancellationToken cancellationToken);

    /// <summary>
    /// Prompt encoder + mask decoder (multimask_output = false). <paramref name="previousLowResLogits"/> is the
    /// previous click's raw low-res logits (LowResSize³), or empty for the first click (zeros are used then).
    /// <paramref name="withIntermediates"/> also returns the sparse and dense prompt embeddings (parity checks, model-run).
    /// </summary>
    SamDecoderOutput Decode(SamImageEmbedding embedding, ReadOnlySpan<SamPoint> points, ReadOnlySpan<float> previousLowResLogits,
        bool withIntermediates = false);
}

/// <summary>A click in crop voxel coordinates (A0, A1, A2); label 1 positive, 0 negative.</summary>
public readonly record struct SamPoint(float A0, float A1, float A2, int Label);

/// <summary>Image embedding, channels-first C × G³, row-major.</summary>
public sealed class SamImageEmbedding(float[] data, int channels, int grid)
{
    private float[]? _channelsLast;

    public float[] Data { get; } = data;

    /// <summary>The same values channel-last (G³ × C), made once for the decoder's every click.</summary>
    public float[] ChannelsLast()
    {
        if (_channelsLast is { } cached) return cached;
        var result = new float[Data.Length];
        Tensors.TensorLayout.Transpose(Data, Channels, Grid * Grid * Grid, result);
        return _channelsLast = result;
    }
    public int Channels { get; } = channels;
    public int Grid { get; } = grid;
    public long SizeBytes => 2L * Data.Length * sizeof(float);
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
}
