using System.Diagnostics;
using SlicerBridge.Inference.Models.CtSam3D.Pipeline;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// CT-SAM3D as an interactive model (spec §8): the volume is seen through the official identity-direction 1.5 mm grid
/// (linear interpolation, −1024 padding); the first positive click opens a 64³ patch centred on it, clipped to
/// [−125, 225] HU and scaled by 1/350, encoded once into a feature cache shared by every session and client; each click
/// runs the decoder with all clicks of the patch and the previous probability map; prob &gt; 0.5 is pasted back onto the
/// original grid (nearest neighbour) and clipped to the ROI. A positive click outside the patch opens a new patch
/// (earlier patches keep their results). When the mask reaches a face of the clicked patch, the cross-patch network
/// proposes the neighbour patch across it (see <see cref="ExtendAcrossFaces"/>), within the ROI and up to
/// <see cref="CtSam3DPipelineOptions.MaxPatches"/>.
/// </summary>
public sealed class CtSam3DModel : ISegmentationModel
{
    private readonly CtSam3DNetwork _network;
    private readonly CtSam3DPipelineOptions _options;
    private readonly ComputeCache<CtSamFeatures> _cache;
    private readonly string _source;

    public CtSam3DModel(string name, CtSam3DNetwork network, CtSam3DPipelineOptions options, string source)
    {
        Name = name;
        _network = network;
        _options = options;
        _source = source;
        _cache = new ComputeCache<CtSamFeatures>(options.FeatureCacheBytes);
    }

    public string Name { get; }
    public string Description => $"CT-SAM3D from {_source}; {_options.SpacingMm} mm, window [{_options.WindowMin}, {_options.WindowMax}] HU, " +
        (_network.HasCrossPatch ? $"up to {_options.MaxPatches} patches (cross-patch network)" : "no cross-patch network in the checkpoint");
    public long WeightBytes => _network.WeightBytes;
    public string Device => _network.Execution.Fallback is null
        ? $"{_network.Execution.Device} fp32"
        : $"{_network.Execution.Device} fp32 ({_network.Execution.Fallback})";
    public long CacheBytes => _cache.UsedBytes;
    public ComputeCache<CtSamFeatures> Cache => _cache;

    public SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var timer = new Timer(clock);
        var volume = request.Volume;
        foreach (var p in request.Points)
            if (!p.Ras.IsFinite) throw new SegmentationException($"Point {p.Ras} is not a finite RAS position.");
        var grid = RaiGrid.For(volume.Geometry, _options.SpacingMm);
        var clicks = request.Points
            .Where(p => volume.Geometry.ContainsContinuous(volume.Geometry.RasToIjkPoint(p.Ras)) && (request.Roi is null || request.Roi.Contains(p.Ras)))
            .Select(p => new GridClick(grid.NearestVoxel(p.Ras), p.Positive))
            .Where(c => grid.Contains(c.Voxel))
            .ToList();
        int size = _network.PatchSize;
        var episodes = PatchEpisodes.Replay(clicks, size);
        if (episodes.Count == 0)
        {
            if (request.Roi is null)
                throw new SegmentationException(request.Points.Any(p => p.Positive)
                    ? "No positive point lies inside the volume (and the ROI)."
                    : "CT-SAM3D needs at least one positive point or an ROI.");
            // ROI only: one patch at the ROI centre with a positive click there.
            var centre = grid.NearestVoxel(request.Roi.Center);
            if (!request.Roi.Center.IsFinite || !grid.Contains(centre))
                throw new SegmentationException("CT-SAM3D needs a positive point, or an ROI whose centre lies inside the volume.");
            episodes.Add(new PatchEpisode(centre, [new CtSamClick(size / 2, size / 2, size / 2, 1)]));
        }

        var previous = request.Previous is CtSam3DState s && s.ContentKey == volume.ContentKey ? s : null;
        var results = new List<CtSam3DState.Episode>();
        for (int i = 0; i < episodes.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var prior = previous is not null && i < previous.Episodes.Count ? previous.Episodes[i] : null;
            results.Add(Run(volume, grid, episodes[i], prior, isLast: i == episodes.Count - 1, timer, request.Progress, cancellationToken));
        }

        var extensions = _network.HasCrossPatch && _options.MaxPatches > 1
            ? ExtendAcrossFaces(volume, grid, results, request.Roi, timer, cancellationToken)
            : [];

        var post = clock.Elapsed.TotalMilliseconds;
        var mask = new byte[volume.Geometry.VoxelCount];
        // Neighbour proposals first, so that a patch the user clicked in always wins where they overlap.
        foreach (var (patch, patchMask) in extensions) PatchPasteBack.Paste(patch, patchMask, volume.Geometry, mask, request.Roi);
        foreach (var r in results) PatchPasteBack.Paste(new CtPatch(grid, r.Patch.Center, size), r.Mask, volume.Geometry, mask, request.Roi);
        request.Progress?.Report(1);
        return new SegmentationResult
        {
            Mask = mask,
            State = new CtSam3DState(volume.ContentKey, results),
            Timings = new StageTimings(timer.PrepareMs, timer.InferMs, clock.Elapsed.TotalMilliseconds - post),
        };
    }

    /// <summary>
    /// Decodes one patch episode: only the clicks beyond <paramref name="prior"/>'s when they extend it (its probability
    /// map is the mask prompt), else every click in turn from a zero mask prompt, as the tool did when they were given.
    /// </summary>
    private CtSam3DState.Episode Run(Volume volume, RaiGrid grid, PatchEpisode episode, CtSam3DState.Episode? prior, bool isLast,
        Timer timer, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        int known = prior is not null && prior.Patch.Center == episode.Center && prior.Patch.Clicks.Count <= episode.Clicks.Count &&
                    prior.Patch.Clicks.SequenceEqual(episode.Clicks.Take(prior.Patch.Clicks.Count))
            ? prior.Patch.Clicks.Count : 0;
        if (known == episode.Clicks.Count && (prior!.Probability is not null || !isLast))
            return new CtSam3DState.Episode(episode, prior.Mask, isLast ? prior.Probability : null);
        float[] probability = known > 0 && prior!.Probability is not null ? prior.Probability : [];
        if (probability.Length == 0) known = 0;

        var patch = new CtPatch(grid, episode.Center, _network.PatchSize);
        var features = Features(volume, patch, timer, cancellationToken);
        var clicks = episode.Clicks.ToArray();
        for (int k = known; k < clicks.Length; k++)
        {
            var t = timer.Start();
            probability = _network.Decode(features, clicks.AsSpan(0, k + 1), probability, cancellationToken: cancellationToken).Probability;
            timer.Infer(t);
            progress?.Report((k + 1.0) / (clicks.Length + 1));
        }
        return new CtSam3DState.Episode(episode, CtSamDecoderOutput.Threshold(probability), isLast ? probability : null);
    }

    /// <summary>
    /// The cross-patch prompt network at inference (spec §5; the released code has no recipe, so this is ours): from the
    /// patch clicked last, each face its mask reaches (inside the grid, and at a face voxel inside the ROI) names the
    /// neighbour patch 64 voxels across it (no overlap). The CPP UNet reads [patch image, patch mask, neighbour image]
    /// and predicts a click heatmap for the neighbour; where its peak reaches
    /// <see cref="CtSam3DPipelineOptions.CrossPatchThreshold"/> (the training target was a Gaussian of peak 1), the peak
    /// becomes a positive click on the neighbour, which is decoded like a first click. Neighbours with a mask are
    /// extended in turn (breadth first), until <see cref="CtSam3DPipelineOptions.MaxPatches"/> patches in all.
    /// </summary>
    private List<(CtPatch Patch, byte[] Mask)> ExtendAcrossFaces(Volume volume, RaiGrid grid, List<CtSam3DState.Episode> episodes,
        RoiBox? roi, Timer timer, CancellationToken cancellationToken)
    {
        int n = _network.PatchSize, budget = _options.MaxPatches - episodes.Count;
        var added = new List<(CtPatch, byte[])>();
        var visited = episodes.Select(e => e.Patch.Center).ToHashSet();
        var last = episodes[^1];
        var queue = new Queue<(CtPatch Patch, byte[] Mask)>();
        queue.Enqueue((new CtPatch(grid, last.Patch.Center, n), last.Mask));
        int[] gridSize = [grid.Geometry.SizeI, grid.Geometry.SizeJ, grid.Geometry.SizeK];
        while (queue.Count > 0 && added.Count < budget)
        {
            var (patch, mask) = queue.Dequeue();
            float[]? image = null;
            for (int axis = 0; axis < 3 && added.Count < budget; axis++)
                foreach (int side in new[] { -1, 1 })
                {
                    if (added.Count >= budget) break;
                    cancellationToken.ThrowIfCancellationRequested();
                    int[] center = [patch.Center.X, patch.Center.Y, patch.Center.Z];
                    center[axis] += side * n;
                    var next = (center[0], center[1], center[2]);
                    int start = center[axis] - n / 2;
                    if (start >= gridSize[axis] || start + n <= 0 || visited.Contains(next)) continue;
                    if (!ReachesFace(patch, mask, axis, side < 0 ? 0 : n - 1, roi)) continue;
                    visited.Add(next);
                    var neighbour = new CtPatch(grid, next, n);
                    image ??= Image(volume, patch, timer);
                    var neighbourImage = Image(volume, neighbour, timer);
                    var t = timer.Start();
                    var heatmap = _network.CrossPatchHeatmap(image, mask, neighbourImage, cancellationToken);
                    timer.Infer(t);
                    int peak = ArgMax(heatmap);
                    if (!(heatmap[peak] >= _options.CrossPatchThreshold)) continue;
                    var click = new CtSamClick(peak % n, peak / n % n, peak / (n * n), 1);
                    var features = _cache.GetOrCompute(CacheKey(volume, neighbour), () =>
                    {
                        var t1 = timer.Start();
                        var f = _network.EncodePatch(neighbourImage, cancellationToken);
                        timer.Infer(t1);
                        return f;
                    }).Value;
                    t = timer.Start();
                    var neighbourMask = _network.Decode(features, [click], [], cancellationToken: cancellationToken).Mask();
                    timer.Infer(t);
                    if (!neighbourMask.Contains((byte)1)) continue;
                    added.Add((neighbour, neighbourMask));
                    queue.Enqueue((neighbour, neighbourMask));
                }
        }
        return added;
    }

    /// <summary>True when the mask has foreground on the given face, at a voxel inside the ROI when there is one.</summary>
    private static bool ReachesFace(CtPatch patch, byte[] mask, int axis, int face, RoiBox? roi)
    {
        int n = patch.Size;
        for (int u = 0; u < n; u++)
            for (int v = 0; v < n; v++)
            {
                var (x, y, z) = axis switch { 0 => (face, u, v), 1 => (u, face, v), _ => (u, v, face) };
                if (mask[(z * n + y) * n + x] == 0) continue;
                if (roi is null || roi.Contains(patch.Geometry.IjkToRasPoint(new Vec3(x, y, z)))) return true;
            }
        return false;
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private float[] Image(Volume volume, CtPatch patch, Timer timer)
    {
        var t = timer.Start();
        var image = CtPatch.Normalise(patch.SampleHu(volume, _options.PadValue), _options.WindowMin, _options.WindowMax);
        timer.Prepare(t);
        return image;
    }

    private CtSamFeatures Features(Volume volume, CtPatch patch, Timer timer, CancellationToken cancellationToken) =>
        _cache.GetOrCompute(CacheKey(volume, patch), () =>
        {
            var image = Image(volume, patch, timer);
            var t = timer.Start();
            var features = _network.EncodePatch(image, cancellationToken);
            timer.Infer(t);
            return features;
        }).Value;

    private string CacheKey(Volume volume, CtPatch patch) =>
        $"{volume.ContentKey}|{_options.SpacingMm}|{_options.WindowMin}|{_options.WindowMax}|{_options.PadValue}|{patch.Center}";

    /// <summary>Accumulates stage times (sampling vs network) over one segmentation.</summary>
    private sealed class Timer(Stopwatch clock)
    {
        public double PrepareMs { get; private set; }
        public double InferMs { get; private set; }
        public double Start() => clock.Elapsed.TotalMilliseconds;
        public void Prepare(double start) => PrepareMs += clock.Elapsed.TotalMilliseconds - start;
        public void Infer(double start) => InferMs += clock.Elapsed.TotalMilliseconds - start;
    }

    public void Dispose() => _network.Dispose();
}
