using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// The SAM-Med2D network (spec ../shared/docs/sam-med2d.md §2–§4) on a prepared frame: the encoder input is float32
/// [3][S][S] (normalised, resized, channels-first); prompt tokens are model pixels (x, y) before the +0.5, with the
/// graph's labels (<see cref="PromptEncoder"/>). Implementations are thread-safe.
/// </summary>
public interface ISamMed2DNetwork : IDisposable
{
    SamMed2DConfig Config { get; }

    /// <summary>Where the sessions run (provider, and why not the one asked for).</summary>
    ExecutionChoice Execution { get; }

    /// <summary>Runs the image encoder once: embedding C × G × G (channels-first).</summary>
    float[] EncodeImage(ReadOnlySpan<float> input, CancellationToken cancellationToken);

    /// <summary>
    /// Prompt encoder + mask decoder on one embedding: every mask token's low-res logits and IoU prediction.
    /// <paramref name="maskInput"/> is the mask prompt (R × R probabilities) or empty for none.
    /// </summary>
    SamMed2DDecoderOutput Decode(float[] embedding, ReadOnlySpan<PromptToken> tokens, ReadOnlySpan<float> maskInput,
        bool withIntermediates = false, CancellationToken cancellationToken = default);
}

/// <summary>One sparse prompt token: model pixel coordinates (before the +0.5) and the graph's label.</summary>
public readonly record struct PromptToken(float X, float Y, float Label);

/// <summary>One decoder call: all M mask tokens' low-res logits (M × R × R) and IoU predictions (M).</summary>
public sealed class SamMed2DDecoderOutput
{
    public required float[] LowResLogits { get; init; }
    public required float[] Iou { get; init; }
    public float[]? SparseEmbedding { get; init; }
    public float[]? DenseEmbedding { get; init; }
    public float[]? DensePe { get; init; }
}
