using System.Diagnostics;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// The embedded default model: seeded competitive region growing (see <see cref="GrowCutSolver"/>), no weights.
/// Every voxel on the border of the work region is a background seed; then the clicks are applied one after the other,
/// each as a bounded local edit of the labels the previous clicks left (<see cref="GrowCutClick"/>): a negative click
/// removes the leak it sits in, a positive click adds the missed part it sits in, and nothing far from a click changes.
/// A request that adds clicks to those of its <see cref="SegmentationRequest.Previous"/> state applies only the new ones,
/// which gives exactly what a full replay gives.
/// Work region: the ROI when given; otherwise a box of <see cref="GrowCutOptions.MarginMm"/> around the first positive
/// click, widened by the same margin around each later positive click that lies in its outer half, clamped to the
/// volume, and holding the bounding box of <see cref="SegmentationRequest.Prior"/> widened by the margin when a prior is
/// given. A prior is the starting labels (<see cref="GrowCutPrior"/>) the clicks then correct. Clicks outside it are ignored. Stateless apart from its options, so concurrent calls are safe.
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
    public string Description => $"GrowCut: seeded shortest-path region growing with local click corrections (built in, no weights; seed radius {Options.SeedRadiusMm} mm)";
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

        PriorMask? prior = PriorMask.For(request.Prior, g);
        GrowCutRegion region = WorkRegion(g, request.Roi, positives, prior);
        var state = request.Previous as GrowCutState;
        bool incremental = state is not null && state.ContentKey == volume.ContentKey && state.Region == region
            && state.Roi == request.Roi && state.Options == Options && ReferenceEquals(state.Prior, prior) && state.IsPrefixOf(points);

        float[] intensity = CropPadded(volume, region);
        GrowCutSolver solver;
        IEnumerable<PromptPoint> newClicks;
        double inferMs = 0;
        if (incremental)
        {
            solver = new GrowCutSolver(intensity, (float[])state!.Distance.Clone(), (byte[])state.Labels.Clone(), region, g,
                Options.Connectivity, state.CostPerMm);
            newClicks = points.Skip(state.Points.Count);
        }
        else
        {
            // Background everywhere first, each voxel at its cost from the border of the work region; then every click in order.
            float costPerMm = (float)(Options.DistanceWeight * RobustRange(intensity, region));
            var (distance, labels) = GrowCutSolver.CreateMaps(region);
            solver = new GrowCutSolver(intensity, distance, labels, region, g, Options.Connectivity, costPerMm);
            double start = clock.Elapsed.TotalMilliseconds;
            if (prior is not null) GrowCutPrior.Apply(solver, region, prior, Options.Connectivity, cancellationToken);
            else
            {
                foreach (int seed in GrowCutSeeds.Border(region)) solver.AddSeed(seed, GrowCutSeeds.Background);
                solver.Run(request.Progress, cancellationToken);
            }
            inferMs += clock.Elapsed.TotalMilliseconds - start;
            newClicks = points;
        }
        double prepareMs = clock.Elapsed.TotalMilliseconds - inferMs;
        double clicksStart = clock.Elapsed.TotalMilliseconds;
        foreach (var click in newClicks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            GrowCutClick.Apply(solver, Options, g, region, click, boundFirstClick: request.Roi is null, cancellationToken);
        }
        inferMs += clock.Elapsed.TotalMilliseconds - clicksStart;
        if (!solver.Labels.Contains(GrowCutSeeds.Foreground))
            throw new SegmentationException("No positive point lies inside the ROI (or its seeds were all overridden by negative points).");
        var result = new GrowCutState(volume.ContentKey, region, request.Roi, points.ToList(), Options, solver.CostPerMm,
            solver.Distance, solver.Labels, prior);

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

    private GrowCutRegion WorkRegion(VolumeGeometry g, RoiBox? roi, List<PromptPoint> positives, PriorMask? prior)
    {
        if (roi is not null)
        {
            if (!roi.Center.IsFinite || !roi.Size.IsFinite || roi.Size.X <= 0 || roi.Size.Y <= 0 || roi.Size.Z <= 0)
                throw new SegmentationException($"ROI centre {roi.Center} size {roi.Size} is not a valid box.");
            return GrowCutRegion.FromRoi(g, roi) ?? throw new SegmentationException("The ROI does not overlap the volume.");
        }
        // The box around the first positive click; a later positive click widens it only when it lies in the outer half of
        // the margin, so corrections near the structure keep the region (and the incremental state) as it is.
        // A prior to refine is held whole, with the same margin around it.
        GrowCutRegion? region = prior is null ? null : GrowCutPrior.Box(g, prior, Options.MarginMm);
        foreach (var p in positives)
        {
            if (region is not null && region.Contains(g, p.Ras, Options.MarginMm / 2)) continue;
            var margin = new Vec3(Options.MarginMm, Options.MarginMm, Options.MarginMm);
            GrowCutRegion? box = GrowCutRegion.FromRasBounds(g, p.Ras - margin, p.Ras + margin);
            region = region is null ? box : box is null ? region : region.Union(box);
        }
        return region ?? throw new SegmentationException("The margin box around the positive points does not overlap the volume.");
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
