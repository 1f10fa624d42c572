using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models;

/// <summary>
/// A promptable 3D segmentation model. The server and the CLI only see this interface.
/// Implementations cache what is expensive per volume (an image embedding, a resampled copy,
/// a seed graph) keyed by <see cref="Volume.ContentKey"/>, so repeated clicks on the same scan
/// pay only the prompt-dependent part. Implementations must be safe to call from several threads.
/// </summary>
public interface ISegmentationModel : IDisposable
{
    /// <summary>Registry name, e.g. "growcut" or "sam-med3d".</summary>
    string Name { get; }

    /// <summary>One line for ListModels: what it is, where its weights came from.</summary>
    string Description { get; }

    /// <summary>Where it runs and at what precision, e.g. "cpu", "cuda:0 fp32", or "cpu fp32 (CUDA not used: …)".</summary>
    string Device => "cpu";

    /// <summary>Bytes held by the model itself (weights), for the memory budget.</summary>
    long WeightBytes { get; }

    /// <summary>Bytes the model currently keeps for volumes it has seen (e.g. image embeddings), for status reports.</summary>
    long CacheBytes => 0;

    /// <summary>
    /// Segments <see cref="SegmentationRequest.Volume"/> from the prompts. The mask has the volume's
    /// grid (same size and IJK-to-RAS), one byte per voxel, 0 or 1.
    /// Throws <see cref="SegmentationException"/> for bad prompts (e.g. no positive point inside the volume).
    /// </summary>
    SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Optional warm-up before the first click: computes and caches what is expensive for this volume and ROI (e.g. an
    /// image embedding) so that the next <see cref="Segment"/> on it pays only the prompt-dependent part. Called by the
    /// server when an ROI is set. Default: nothing to prepare.
    /// </summary>
    void Prepare(Volume volume, RoiBox? roi, CancellationToken cancellationToken) { }
}

/// <summary>Everything one segmentation needs.</summary>
public sealed class SegmentationRequest
{
    public required Volume Volume { get; init; }
    public IReadOnlyList<PromptPoint> Points { get; init; } = [];
    public RoiBox? Roi { get; init; }

    /// <summary>State returned by the previous result on the same volume (cumulative clicks), or null.</summary>
    public ModelState? Previous { get; init; }

    /// <summary>
    /// An existing segmentation to refine, on the volume's grid, or null. The model starts from it when
    /// <see cref="Previous"/> did not start from this same prior (GrowCut: initial labels; SAM-Med3D: first mask prompt).
    /// </summary>
    public PriorMask? Prior { get; init; }

    /// <summary>Optional progress in [0,1] for long operations (CLI progress bar).</summary>
    public IProgress<double>? Progress { get; init; }
}

/// <summary>The result of one segmentation.</summary>
public sealed class SegmentationResult
{
    /// <summary>0/1 mask on the input volume's grid, I fastest.</summary>
    public required byte[] Mask { get; init; }

    /// <summary>Opaque state to feed back as <see cref="SegmentationRequest.Previous"/> on the next click.</summary>
    public ModelState? State { get; init; }

    public StageTimings Timings { get; init; }
}

/// <summary>Per-model state carried from one click to the next (e.g. SAM low-res logits, GrowCut labels).</summary>
public abstract class ModelState
{
    /// <summary>Approximate bytes held, for the session memory budget.</summary>
    public abstract long SizeBytes { get; }
}

/// <summary>Stage timings in milliseconds.</summary>
public readonly record struct StageTimings(double PrepareMs, double InferMs, double PostMs);

/// <summary>A request the model cannot serve (bad prompts, incompatible volume): reported to the client as FAIL.</summary>
public sealed class SegmentationException(string message, Exception? inner = null) : Exception(message, inner);
