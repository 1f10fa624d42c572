using System.Diagnostics;
using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Onnx;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// SAM-Med3D as an interactive model (spec §7.5): the volume is seen through a 1.5 mm canonical-RAS grid; a 128³ crop
/// centred on the ROI when the ROI fits one crop, else on the first positive click, is z-normalised and encoded once per (volume content,
/// crop) into a cache shared by every session; every click runs the prompt encoder and mask decoder with all clicks
/// so far and the previous low-res logits (on the first click, a prior's logits, <see cref="PriorPrompt"/>); the thresholded upsampled mask is pasted back onto the original grid by
/// nearest neighbour and clipped to the ROI. When the mask touches a crop face, overlapping crops are added in that
/// direction (the paper's §4.3 strategy), within the ROI and up to <see cref="SamMed3DPipelineOptions.MaxCrops"/>.
/// </summary>
public sealed class SamMed3DModel : ISegmentationModel
{
    private readonly ISamMed3DNetwork _network;
    private readonly SamMed3DPipelineOptions _options;
    private readonly ComputeCache<SamImageEmbedding> _cache;
    private readonly string _source;

    public SamMed3DModel(string name, ISamMed3DNetwork network, SamMed3DPipelineOptions options, string source, long weightBytes)
    {
        Name = name;
        _network = network;
        _options = options;
        _source = source;
        WeightBytes = weightBytes;
        _cache = new ComputeCache<SamImageEmbedding>(options.EmbeddingCacheBytes);
    }

    public string Name { get; }
    public string Description => $"SAM-Med3D (vit_b_ori) from {_source}; {(_options.ClampMin is null ? "no clamp" : $"clamp [{_options.ClampMin}, {_options.ClampMax}]")}, up to {_options.MaxCrops} crops";
    public long WeightBytes { get; }
    public string Device => _network.Execution.Fallback is null
        ? $"{_network.Execution.Device} {_network.Precision.Name()}"
        : $"{_network.Execution.Device} {_network.Precision.Name()} ({_network.Execution.Fallback})";
    public ComputeCache<SamImageEmbedding> Cache => _cache;
    public long CacheBytes => _cache.UsedBytes;

    public SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var volume = request.Volume;
        foreach (var p in request.Points)
            if (!p.Ras.IsFinite) throw new SegmentationException($"Point {p.Ras} is not a finite RAS position.");
        var inside = request.Points.Where(p => volume.Geometry.ContainsContinuous(volume.Geometry.RasToIjkPoint(p.Ras))
                                               && (request.Roi is null || request.Roi.Contains(p.Ras))).ToList();
        var firstPositive = inside.FirstOrDefault(p => p.Positive);
        if (firstPositive == default && request.Roi is null)
            throw new SegmentationException(request.Points.Any(p => p.Positive)
                ? "No positive point lies inside the volume (and the ROI)."
                : "SAM-Med3D needs at least one positive point or an ROI.");

        var grid = CanonicalGrid.For(volume.Geometry, _options.SpacingMm);
        int size = _network.ImageSize;
        var primary = RoiCrop(grid, request.Roi) is { } roiCrop && (firstPositive == default || roiCrop.ContainsCropIndex(roiCrop.ToCropIndex(firstPositive.Ras)))
            ? roiCrop
            : SamCrop.Centered(grid, grid.ToIndex(firstPositive != default ? firstPositive.Ras : request.Roi!.Center), size);
        var primaryStart = (primary.Start0, primary.Start1, primary.Start2);

        var previous = request.Previous as SamMed3DState;
        var prior = PriorMask.For(request.Prior, volume.Geometry);
        float[] previousLogits = previous is not null && previous.ContentKey == volume.ContentKey && previous.CropStart == primaryStart
            && ReferenceEquals(previous.Prior, prior)
            ? previous.LowResLogits
            : prior is not null ? PriorPrompt.LowResLogits(primary, prior, _network.LowResSize) : [];

        var mask = new byte[volume.Geometry.VoxelCount];
        var pending = new Queue<(SamCrop Crop, SamPoint[] Points, float[] PromptLogits)>();
        var visited = new HashSet<(int, int, int)> { primaryStart };
        var primaryPoints = CropPoints(primary, inside);
        if (primaryPoints.Length == 0 || !primaryPoints.Any(p => p.Label == 1))
            primaryPoints = [.. primaryPoints, new SamPoint(size / 2, size / 2, size / 2, 1)]; // ROI only: the crop centre, as the official code does without a click
        pending.Enqueue((primary, primaryPoints, previousLogits));

        double prepareMs = 0, inferMs = 0, postMs = 0;
        float[]? primaryLogits = null;
        int crops = 0;
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (crop, points, promptLogits) = pending.Dequeue();
            crops++;
            var t0 = clock.Elapsed.TotalMilliseconds;
            double sampleMs = 0;
            var (embedding, _) = _cache.GetOrCompute(CacheKey(volume, crop), () =>
            {
                var input = crop.Sample(volume, _options.ClampMin, _options.ClampMax);
                sampleMs = clock.Elapsed.TotalMilliseconds - t0;
                return _network.EncodeImage(input, cancellationToken);
            });
            var decoded = _network.Decode(embedding, points, promptLogits);
            primaryLogits ??= decoded.LowResLogits;
            var t2 = clock.Elapsed.TotalMilliseconds;
            prepareMs += sampleMs;
            inferMs += t2 - t0 - sampleMs;
            var cropMask = LogitUpsampler.ThresholdMask(decoded.LowResLogits, _network.LowResSize, size);
            CropPasteBack.Paste(crop, cropMask, volume.Geometry, mask, request.Roi, union: true);
            if (crops < _options.MaxCrops)
                foreach (var next in Extensions(crop, cropMask, decoded.LowResLogits, inside, request.Roi, grid))
                    if (visited.Add((next.Crop.Start0, next.Crop.Start1, next.Crop.Start2)) && visited.Count <= _options.MaxCrops)
                        pending.Enqueue(next);
            postMs += clock.Elapsed.TotalMilliseconds - t2;
            request.Progress?.Report(Math.Min(1.0, (double)crops / Math.Max(crops + pending.Count, 1)));
        }
        return new SegmentationResult
        {
            Mask = mask,
            State = new SamMed3DState(volume.ContentKey, primaryStart, primaryLogits!, prior),
            Timings = new StageTimings(prepareMs, inferMs, postMs),
        };
    }

    /// <summary>Encodes the crop an ROI-driven segmentation will use, ahead of the first click (no-op without an ROI or when it exceeds one crop).</summary>
    public void Prepare(Volume volume, RoiBox? roi, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var grid = CanonicalGrid.For(volume.Geometry, _options.SpacingMm);
        if (RoiCrop(grid, roi) is not { } crop) return;
        _cache.GetOrCompute(CacheKey(volume, crop), () =>
            _network.EncodeImage(crop.Sample(volume, _options.ClampMin, _options.ClampMax), cancellationToken));
    }

    private string CacheKey(Volume volume, SamCrop crop) =>
        $"{volume.ContentKey}|{_options.SpacingMm}|{_options.ClampMin}|{_options.ClampMax}|{crop.Start0},{crop.Start1},{crop.Start2}";

    /// <summary>
    /// The crop centred on the ROI when the whole ROI fits in one crop (then every click inside it shares one embedding,
    /// which can be prepared as soon as the ROI is drawn); null otherwise.
    /// </summary>
    private SamCrop? RoiCrop(CanonicalGrid grid, RoiBox? roi)
    {
        if (roi is null) return null;
        var crop = SamCrop.Centered(grid, grid.ToIndex(roi.Center), _network.ImageSize);
        foreach (int sx in new[] { -1, 1 })
            foreach (int sy in new[] { -1, 1 })
                foreach (int sz in new[] { -1, 1 })
                {
                    var corner = roi.Center + roi.AxisX * (sx * roi.Size.X / 2) + roi.AxisY * (sy * roi.Size.Y / 2) + roi.AxisZ * (sz * roi.Size.Z / 2);
                    if (!crop.ContainsCropIndex(crop.ToCropIndex(corner))) return null;
                }
        return crop;
    }

    /// <summary>Points that fall inside the crop, in crop voxel coordinates (A0, A1, A2).</summary>
    private static SamPoint[] CropPoints(SamCrop crop, IEnumerable<PromptPoint> points) =>
        points.Select(p => (p, idx: crop.ToCropIndex(p.Ras)))
              .Where(x => crop.ContainsCropIndex(x.idx))
              .Select(x => new SamPoint((float)x.idx.X, (float)x.idx.Y, (float)x.idx.Z, x.p.Positive ? 1 : 0))
              .ToArray();

    /// <summary>
    /// Neighbouring crops, shifted by half a crop, across every face the mask touches, when that face lies inside the
    /// canonical grid and the ROI. Each is prompted with the clicks inside it, a positive click on the mask where it
    /// crossed the face when it has none, and the previous crop's logits shifted into its frame (zeros elsewhere).
    /// </summary>
    private IEnumerable<(SamCrop Crop, SamPoint[] Points, float[] PromptLogits)> Extensions(
        SamCrop crop, byte[] cropMask, float[] logits, List<PromptPoint> points, RoiBox? roi, CanonicalGrid grid)
    {
        int n = crop.Size, half = n / 2, low = _network.LowResSize;
        int[] start = [crop.Start0, crop.Start1, crop.Start2];
        int[] gridSize = [grid.Size0, grid.Size1, grid.Size2];
        for (int axis = 0; axis < 3; axis++)
            foreach (int side in new[] { -1, 1 })
            {
                int face = side < 0 ? 0 : n - 1;
                int canonicalFace = start[axis] + face;
                if (canonicalFace <= 0 || canonicalFace >= gridSize[axis] - 1) continue; // nothing beyond this face
                var touching = FaceVoxels(cropMask, n, axis, face);
                if (touching.Count == 0) continue;
                // A representative voxel on the face: the foreground voxel nearest the centroid of the touching voxels.
                double c0 = touching.Average(v => v.Item1), c1 = touching.Average(v => v.Item2), c2 = touching.Average(v => v.Item3);
                var seed = touching.MinBy(v => Math.Pow(v.Item1 - c0, 2) + Math.Pow(v.Item2 - c1, 2) + Math.Pow(v.Item3 - c2, 2));
                var seedRas = crop.Geometry.IjkToRasPoint(new Vec3(seed.Item1, seed.Item2, seed.Item3));
                if (roi is not null && !roi.Contains(seedRas)) continue;
                int[] next = (int[])start.Clone();
                next[axis] += side * half;
                var neighbour = SamCrop.At(grid, next[0], next[1], next[2], n);
                var neighbourPoints = CropPoints(neighbour, points).ToList();
                if (!neighbourPoints.Any(p => p.Label == 1))
                {
                    var idx = neighbour.ToCropIndex(seedRas);
                    neighbourPoints.Add(new SamPoint((float)idx.X, (float)idx.Y, (float)idx.Z, 1));
                }
                yield return (neighbour, neighbourPoints.ToArray(), ShiftLogits(logits, low, axis, side * low / 2));
            }
    }

    private static List<(int, int, int)> FaceVoxels(byte[] mask, int n, int axis, int face)
    {
        var result = new List<(int, int, int)>();
        for (int u = 0; u < n; u++)
            for (int v = 0; v < n; v++)
            {
                var (a0, a1, a2) = axis switch { 0 => (face, u, v), 1 => (u, face, v), _ => (u, v, face) };
                if (mask[(a0 * n + a1) * n + a2] != 0) result.Add((a0, a1, a2));
            }
        return result;
    }

    /// <summary>Low-res logits of a crop seen from a crop shifted by <paramref name="shift"/> low-res voxels along <paramref name="axis"/>; zeros where there is no overlap.</summary>
    private static float[] ShiftLogits(float[] logits, int n, int axis, int shift)
    {
        var result = new float[logits.Length];
        for (int a0 = 0; a0 < n; a0++)
            for (int a1 = 0; a1 < n; a1++)
                for (int a2 = 0; a2 < n; a2++)
                {
                    int s0 = a0 + (axis == 0 ? shift : 0), s1 = a1 + (axis == 1 ? shift : 0), s2 = a2 + (axis == 2 ? shift : 0);
                    if ((uint)s0 < (uint)n && (uint)s1 < (uint)n && (uint)s2 < (uint)n)
                        result[(a0 * n + a1) * n + a2] = logits[(s0 * n + s1) * n + s2];
                }
        return result;
    }

    public void Dispose() => _network.Dispose();
}
