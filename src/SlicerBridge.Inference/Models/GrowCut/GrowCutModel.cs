using System.Diagnostics;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// The embedded default model: seeded competitive region growing (see <see cref="GrowCutSolver"/>), no weights.
/// Seeds: a sphere of <see cref="GrowCutOptions.SeedRadiusMm"/> around each click (foreground for positive,
/// background for negative clicks) and every voxel on the border of the work region as background.
/// Work region: the ROI when given; otherwise the bounding box of the positive clicks grown by
/// <see cref="GrowCutOptions.MarginMm"/> on every side, clamped to the volume. Clicks outside it are ignored.
/// Stateless apart from its options, so concurrent calls are safe.
/// </summary>
public sealed class GrowCutModel : ISegmentationModel
{
    public GrowCutModel(GrowCutOptions? options = null)
    {
        Options = options ?? new GrowCutOptions();
        Options.Validate();
    }

    public GrowCutOptions Options { get; }
    public string Name => "growcut";
    public string Description => $"GrowCut: seeded shortest-path region growing (built in, no weights; seed radius {Options.SeedRadiusMm} mm)";
    public long WeightBytes => 0;

    public SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        Volume volume = request.Volume;
        VolumeGeometry g = volume.Geometry;
        IReadOnlyList<PromptPoint> points = request.Points;
        foreach (var p in points)
            if (!p.Ras.IsFinite) throw new SegmentationException($"Point {p.Ras} is not a finite RAS position.");
        var positives = points.Where(p => p.Positive && g.ContainsContinuous(g.RasToIjkPoint(p.Ras))).ToList();
        if (!points.Any(p => p.Positive))
            throw new SegmentationException($"GrowCut needs at least one positive point; got {points.Count} point(s), none positive.");
        if (positives.Count == 0)
            throw new SegmentationException("No positive point lies inside the volume.");

        GrowCutRegion region = WorkRegion(g, request.Roi, positives);
        var state = request.Previous as GrowCutState;
        bool incremental = state is not null && state.ContentKey == volume.ContentKey && state.Region == region
            && state.Roi == request.Roi && state.Options == Options && state.IsPrefixOf(points);

        GrowCutState? result = null;
        double prepareMs = 0, inferMs;
        if (incremental)
        {
            var distance = (float[])state!.Distance.Clone();
            var labels = (byte[])state.Labels.Clone();
            float[] intensity = CropPadded(volume, region);
            var solver = new GrowCutSolver(intensity, distance, labels, region, g, Options.Connectivity, state.CostPerMm);
            if (AddPointSeeds(solver, g, region, points.Skip(state.Points.Count), distance, labels, rejectConflicts: true))
            {
                prepareMs = clock.Elapsed.TotalMilliseconds;
                solver.Run(region.VoxelCount, request.Progress, cancellationToken);
                inferMs = clock.Elapsed.TotalMilliseconds - prepareMs;
                result = new GrowCutState(volume.ContentKey, region, request.Roi, points.ToList(), Options, state.CostPerMm, distance, labels);
            }
            else inferMs = 0; // a new seed overwrote an old seed of the other label: only a full run is exact
        }
        else inferMs = 0;

        if (result is null)
        {
            float[] intensity = CropPadded(volume, region);
            float costPerMm = (float)(Options.DistanceWeight * RobustRange(intensity, region));
            var (distance, labels) = GrowCutSolver.CreateMaps(region);
            var solver = new GrowCutSolver(intensity, distance, labels, region, g, Options.Connectivity, costPerMm);
            foreach (int seed in GrowCutSeeds.Border(region)) solver.AddSeed(seed, GrowCutSeeds.Background);
            if (!AddPointSeeds(solver, g, region, points, distance, labels, rejectConflicts: false) ||
                !labels.Contains(GrowCutSeeds.Foreground))
                throw new SegmentationException("No positive point lies inside the ROI (or its seeds were all overridden by negative points).");
            prepareMs = clock.Elapsed.TotalMilliseconds - inferMs;
            double start = clock.Elapsed.TotalMilliseconds;
            solver.Run(region.VoxelCount, request.Progress, cancellationToken);
            inferMs += clock.Elapsed.TotalMilliseconds - start;
            result = new GrowCutState(volume.ContentKey, region, request.Roi, points.ToList(), Options, costPerMm, distance, labels);
        }

        double postStart = clock.Elapsed.TotalMilliseconds;
        byte[] mask = ToMask(g, region, result.Labels);
        request.Progress?.Report(1.0);
        return new SegmentationResult
        {
            Mask = mask,
            State = result,
            Timings = new StageTimings(prepareMs, inferMs, clock.Elapsed.TotalMilliseconds - postStart),
        };
    }

    public void Dispose() { }

    private GrowCutRegion WorkRegion(VolumeGeometry g, RoiBox? roi, List<PromptPoint> positives)
    {
        if (roi is not null)
        {
            if (!roi.Center.IsFinite || !roi.Size.IsFinite || roi.Size.X <= 0 || roi.Size.Y <= 0 || roi.Size.Z <= 0)
                throw new SegmentationException($"ROI centre {roi.Center} size {roi.Size} is not a valid box.");
            return GrowCutRegion.FromRoi(g, roi) ?? throw new SegmentationException("The ROI does not overlap the volume.");
        }
        Vec3 min = positives[0].Ras, max = positives[0].Ras;
        foreach (var p in positives)
        {
            min = new Vec3(Math.Min(min.X, p.Ras.X), Math.Min(min.Y, p.Ras.Y), Math.Min(min.Z, p.Ras.Z));
            max = new Vec3(Math.Max(max.X, p.Ras.X), Math.Max(max.Y, p.Ras.Y), Math.Max(max.Z, p.Ras.Z));
        }
        var margin = new Vec3(Options.MarginMm, Options.MarginMm, Options.MarginMm);
        return GrowCutRegion.FromRasBounds(g, min - margin, max + margin)
            ?? throw new SegmentationException("The margin box around the positive points does not overlap the volume.");
    }

    /// <summary>Seeds the clicks in order. Returns false when a new seed would replace an existing seed of the other label.</summary>
    private bool AddPointSeeds(GrowCutSolver solver, VolumeGeometry g, GrowCutRegion region, IEnumerable<PromptPoint> points,
        float[] distance, byte[] labels, bool rejectConflicts)
    {
        bool anyForeground = false;
        foreach (var p in points)
        {
            byte label = p.Positive ? GrowCutSeeds.Foreground : GrowCutSeeds.Background;
            foreach (int seed in GrowCutSeeds.Sphere(g, region, p.Ras, Options.SeedRadiusMm))
            {
                if (rejectConflicts && distance[seed] == 0 && labels[seed] != label) return false;
                solver.AddSeed(seed, label);
                anyForeground |= p.Positive;
            }
        }
        return anyForeground || rejectConflicts;
    }

    private static float[] CropPadded(Volume volume, GrowCutRegion r)
    {
        var padded = new float[r.PaddedCount];
        VolumeGeometry g = volume.Geometry;
        for (int k = r.K0; k <= r.K1; k++)
            for (int j = r.J0; j <= r.J1; j++)
                volume.Voxels.AsSpan((int)g.Index(r.I0, j, k), r.SizeI).CopyTo(padded.AsSpan(r.PaddedIndex(r.I0, j, k), r.SizeI));
        return padded;
    }

    /// <summary>p1..p99 intensity range of the region (1 when flat), from a 1024-bin histogram.</summary>
    private static double RobustRange(float[] padded, GrowCutRegion r)
    {
        float min = float.MaxValue, max = float.MinValue;
        ForEachRow(r, (start, length) =>
        {
            foreach (float v in padded.AsSpan(start, length)) { if (v < min) min = v; if (v > max) max = v; }
        });
        if (!(max > min)) return 1.0;
        const int bins = 1024;
        var histogram = new long[bins];
        double scale = (bins - 1) / ((double)max - min);
        ForEachRow(r, (start, length) =>
        {
            foreach (float v in padded.AsSpan(start, length)) histogram[(int)((v - min) * scale)]++;
        });
        long total = r.VoxelCount, low = total / 100, high = total - total / 100, seen = 0;
        int lowBin = 0, highBin = bins - 1;
        bool lowFound = false;
        for (int b = 0; b < bins; b++)
        {
            seen += histogram[b];
            if (!lowFound && seen > low) { lowBin = b; lowFound = true; }
            if (seen >= high) { highBin = b; break; }
        }
        double range = (highBin - lowBin) / scale;
        return range > 0 ? range : (max - min);
    }

    private static void ForEachRow(GrowCutRegion r, Action<int, int> row)
    {
        for (int k = r.K0; k <= r.K1; k++)
            for (int j = r.J0; j <= r.J1; j++)
                row(r.PaddedIndex(r.I0, j, k), r.SizeI);
    }

    private static byte[] ToMask(VolumeGeometry g, GrowCutRegion r, byte[] labels)
    {
        var mask = new byte[g.VoxelCount];
        for (int k = r.K0; k <= r.K1; k++)
            for (int j = r.J0; j <= r.J1; j++)
            {
                int src = r.PaddedIndex(r.I0, j, k);
                int dst = (int)g.Index(r.I0, j, k);
                for (int i = 0; i < r.SizeI; i++)
                    mask[dst + i] = labels[src + i] == GrowCutSeeds.Foreground ? (byte)1 : (byte)0;
            }
        return mask;
    }
}
