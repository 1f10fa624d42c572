using System.Diagnostics;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// SAM-Med2D on one-slice volumes (a 2D IMAGE, a 2D NIfTI/NRRD): the slice becomes an 8-bit grey frame
/// (<see cref="FrameIntensity"/>), is encoded once per content into a cache shared by every session, and each request
/// runs the official predictor with the points on the image plane and the ROI's footprint as the box
/// (<see cref="ImagePlane"/>), the previous request's low-res logits (same image) as the mask prompt, and the best of
/// mask tokens 1–3. The mask has the image's grid.
/// </summary>
public sealed class SamMed2DModel : ISegmentationModel
{
    private readonly SamMed2DPredictor _predictor;
    private readonly ComputeCache<SamImageEmbedding> _cache;
    private readonly string _source;

    public SamMed2DModel(string name, ISamMed2DNetwork network, string source, long weightBytes, long embeddingCacheBytes = 64L << 20)
    {
        Name = name;
        _predictor = new SamMed2DPredictor(network);
        _source = source;
        WeightBytes = weightBytes;
        _cache = new ComputeCache<SamImageEmbedding>(embeddingCacheBytes);
    }

    public string Name { get; }
    public string Description => $"SAM-Med2D (ViT-B{(_predictor.Network.Config.EncoderAdapter ? " with adapters" : ", adapters off")}, {_predictor.Network.Config.ImageSize}²) from {_source}; 2-D images (one slice)";
    public long WeightBytes { get; }
    public string Device => _predictor.Network.Execution.Fallback is null
        ? $"{_predictor.Network.Execution.Device} fp32"
        : $"{_predictor.Network.Execution.Device} fp32 ({_predictor.Network.Execution.Fallback})";
    public long CacheBytes => _cache.UsedBytes;
    public SamMed2DPredictor Predictor => _predictor;

    public SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var volume = request.Volume;
        var geometry = volume.Geometry;
        if (!ImagePlane.IsImage2D(geometry))
            throw new SegmentationException($"SAM-Med2D segments 2-D images (one slice); '{volume.Name}' has {geometry.SizeK} slices. Use a 3-D model or send one slice.");
        var points = request.Points.Select(p => ImagePlane.Project(geometry, p)).OfType<FramePoint>().ToList();
        FrameBox? box = request.Roi is null ? null : ImagePlane.Project(geometry, request.Roi);
        if (box is null && !points.Any(p => p.Positive))
            throw new SegmentationException(request.Roi is not null
                ? "The ROI does not cross the image plane, and no positive point lies on the image."
                : request.Points.Any(p => p.Positive)
                    ? "No positive point lies on the image plane (within half a slice) and inside the image."
                    : "SAM-Med2D needs at least one positive point or an ROI on the image.");

        var (frame, prepareMs, encodeMs) = Encode(volume, cancellationToken);
        var previous = request.Previous as SamMed2DState;
        float[]? maskInput = previous is not null && previous.ContentKey == volume.ContentKey ? SamMed2DPredictor.MaskPrompt(previous.LowResLogits) : null;
        var t0 = clock.Elapsed.TotalMilliseconds;
        var prediction = _predictor.Predict(frame, points, box, maskInput, multimask: true, cancellationToken: cancellationToken);
        double decodeMs = clock.Elapsed.TotalMilliseconds - t0;
        return new SegmentationResult
        {
            Mask = prediction.Mask,   // frame rows are J, columns I: the volume's own voxel order
            State = new SamMed2DState(volume.ContentKey, prediction.LowRes, prediction.Iou),
            Timings = new StageTimings(prepareMs, encodeMs + decodeMs, 0),
        };
    }

    /// <summary>Encodes a 2-D image ahead of the first prompt (3-D volumes: nothing to do).</summary>
    public void Prepare(Volume volume, RoiBox? roi, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if (ImagePlane.IsImage2D(volume.Geometry)) Encode(volume, cancellationToken);
    }

    private (EncodedFrame Frame, double PrepareMs, double EncodeMs) Encode(Volume volume, CancellationToken cancellationToken)
    {
        var g = volume.Geometry;
        int c = _predictor.Network.Config.PromptEmbedDim, grid = _predictor.Network.Config.Grid;
        double prepareMs = 0, encodeMs = 0;
        var (embedding, _) = _cache.GetOrCompute(volume.ContentKey, () =>
        {
            var clock = Stopwatch.StartNew();
            var input = FramePreprocessor.FromGrey(FrameIntensity.ToBytes(volume), g.SizeJ, g.SizeI, _predictor.Network.Config);
            prepareMs = clock.Elapsed.TotalMilliseconds;
            var values = _predictor.Network.EncodeImage(input, cancellationToken);
            encodeMs = clock.Elapsed.TotalMilliseconds - prepareMs;
            return new SamImageEmbedding(values, c, grid);
        });
        return (new EncodedFrame([], embedding.Data, g.SizeJ, g.SizeI), prepareMs, encodeMs);
    }

    public void Dispose() => _predictor.Network.Dispose();
}
