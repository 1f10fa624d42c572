using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// Competitive region growing as a multi-source shortest-path problem (the "fast GrowCut" of Slicer's
/// Grow from seeds): every voxel takes the label of the seed it is cheapest to reach, where stepping to a
/// neighbour costs |intensity difference| + costPerMm × (physical step length in mm). Distances and
/// labels live in the padded layout of <see cref="GrowCutRegion"/>; pad voxels hold -∞ so no relaxation
/// ever enters them and the inner loop needs no bounds checks.
/// </summary>
internal sealed class GrowCutSolver
{
    private const int CancellationCheckInterval = 1 << 14;

    private readonly float[] _intensity;
    private readonly float[] _distance;
    private readonly byte[] _labels;
    private readonly int[] _offsets;
    private readonly float[] _stepCosts;
    private readonly GrowCutHeap _queue = new();
    private readonly long _regionVoxels;

    public GrowCutSolver(float[] intensity, float[] distance, byte[] labels, GrowCutRegion region, VolumeGeometry g,
        int connectivity, float costPerMm)
    {
        _intensity = intensity; _distance = distance; _labels = labels;
        _regionVoxels = region.VoxelCount;
        CostPerMm = costPerMm;
        var offsets = new List<int>(26);
        var costs = new List<float>(26);
        for (int dk = -1; dk <= 1; dk++)
            for (int dj = -1; dj <= 1; dj++)
                for (int di = -1; di <= 1; di++)
                {
                    int manhattan = Math.Abs(di) + Math.Abs(dj) + Math.Abs(dk);
                    if (manhattan == 0 || (connectivity == 6 && manhattan > 1)) continue;
                    offsets.Add((dk * region.PadJ + dj) * region.PadI + di);
                    double mm = (g.ColumnI * di + g.ColumnJ * dj + g.ColumnK * dk).Length;
                    costs.Add((float)(costPerMm * mm));
                }
        _offsets = offsets.ToArray();
        _stepCosts = costs.ToArray();
    }

    public float CostPerMm { get; }
    public float[] Intensity => _intensity;
    public float[] Distance => _distance;
    public byte[] Labels => _labels;

    /// <summary>Fresh maps for a region: +∞ inside, -∞ on the pad, no labels.</summary>
    public static (float[] Distance, byte[] Labels) CreateMaps(GrowCutRegion r)
    {
        var distance = new float[r.PaddedCount];
        Array.Fill(distance, float.NegativeInfinity);
        for (int k = 1; k <= r.SizeK; k++)
            for (int j = 1; j <= r.SizeJ; j++)
                distance.AsSpan((k * r.PadJ + j) * r.PadI + 1, r.SizeI).Fill(float.PositiveInfinity);
        return (distance, new byte[r.PaddedCount]);
    }

    /// <summary>Makes a voxel a seed of <paramref name="label"/> (a later seed overrides an earlier one).</summary>
    public void AddSeed(int index, byte label)
    {
        _distance[index] = 0;
        _labels[index] = label;
        _queue.Push(index, 0);
    }

    /// <summary>
    /// Runs the competition from the queued seeds until no distance can improve. With maps from a previous run,
    /// only voxels the new seeds reach more cheaply change, which is the incremental update. With a
    /// <paramref name="zone"/>, no voxel outside it is relabelled.
    /// </summary>
    public void Run(IProgress<double>? progress, CancellationToken cancellationToken, GrowCutZone? zone = null)
    {
        float[] intensity = _intensity, distance = _distance;
        byte[] labels = _labels;
        int[] offsets = _offsets;
        float[] stepCosts = _stepCosts;
        long settled = 0;
        int untilCheck = CancellationCheckInterval;
        double lastReported = 0;
        while (_queue.TryPop(out int index, out float d))
        {
            if (d > distance[index]) continue; // stale entry: the voxel was reached more cheaply since
            if (--untilCheck == 0)
            {
                untilCheck = CancellationCheckInterval;
                cancellationToken.ThrowIfCancellationRequested();
                if (progress is not null)
                {
                    double fraction = Math.Min(1.0, (double)settled / _regionVoxels);
                    if (fraction - lastReported >= 0.01) { progress.Report(fraction); lastReported = fraction; }
                }
            }
            settled++;
            float value = intensity[index];
            byte label = labels[index];
            for (int n = 0; n < offsets.Length; n++)
            {
                int neighbour = index + offsets[n];
                float candidate = d + MathF.Abs(intensity[neighbour] - value) + stepCosts[n];
                if (candidate < distance[neighbour] && (zone is null || zone.Admits(neighbour)))
                {
                    distance[neighbour] = candidate;
                    labels[neighbour] = label;
                    _queue.Push(neighbour, candidate);
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }
}
