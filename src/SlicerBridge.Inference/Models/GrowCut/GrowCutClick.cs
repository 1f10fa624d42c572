using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// How one click changes GrowCut's label maps. Every click paints its seed sphere with its label and then competes with
/// the current labels (shortest-path costs, <see cref="GrowCutSolver"/>) for the voxels it reaches more cheaply, but only
/// inside its zone:
/// <list type="bullet">
/// <item>a correction (a click whose label the maps already hold) reaches <see cref="GrowCutOptions.NegativeReach"/> or
/// <see cref="GrowCutOptions.PositiveReach"/> times its distance to the nearest voxel of its own label: a negative click
/// deep in a leak removes about as much as the leak is thick around it, a positive click in a missed part adds up to
/// about as far again as its gap to the mask, and neither touches anything farther; a positive correction also adds
/// only voxels whose intensity the mask already holds (<see cref="GrowCutOptions.PositiveIntensityQuantile"/>);</item>
/// <item>the first positive click grows freely in the work region, except without an ROI, where it reaches
/// <see cref="GrowCutOptions.FirstClickReach"/> times its depth in that free growth.</item>
/// </list>
/// Clicks are applied in order, each to the maps the previous one left, so replaying a click list from scratch and
/// applying its last click to the previous state give the same maps.
/// </summary>
internal static class GrowCutClick
{
    public static void Apply(GrowCutSolver solver, GrowCutOptions options, VolumeGeometry g, GrowCutRegion region, PromptPoint click,
        bool boundFirstClick, CancellationToken cancellationToken)
    {
        List<int> seeds = GrowCutSeeds.Sphere(g, region, click.Ras, options.SeedRadiusMm);
        if (seeds.Count == 0) return; // outside the work region
        byte label = click.Positive ? GrowCutSeeds.Foreground : GrowCutSeeds.Background;
        byte other = click.Positive ? GrowCutSeeds.Background : GrowCutSeeds.Foreground;
        var centre = new GrowCutZone(g, region, click.Ras, 0);
        double gap = centre.NearestLabelled(solver.Labels, label);
        if (double.IsFinite(gap))
        {
            double reach = click.Positive ? options.PositiveReach : options.NegativeReach;
            double radius = reach > 0 ? Math.Max(options.SeedRadiusMm, reach * gap) : double.PositiveInfinity;
            GrowCutZone reachable = click.Positive && options.PositiveIntensityQuantile > 0
                ? PositiveZone(solver, g, region, click.Ras, radius, seeds, options.PositiveIntensityQuantile)
                : new GrowCutZone(g, region, click.Ras, radius);
            Grow(solver, seeds, label, reachable, cancellationToken);
            return;
        }

        // The first click of its label: free growth, bounded by its own depth when there is no ROI.
        GrowCutZone? zone = null;
        if (boundFirstClick && options.FirstClickReach > 0)
        {
            float[] savedDistance = (float[])solver.Distance.Clone();
            byte[] savedLabels = (byte[])solver.Labels.Clone();
            Grow(solver, seeds, label, null, cancellationToken);
            double depth = centre.NearestLabelled(solver.Labels, other);
            savedDistance.CopyTo(solver.Distance, 0);
            savedLabels.CopyTo(solver.Labels, 0);
            if (double.IsFinite(depth))
                zone = new GrowCutZone(g, region, click.Ras, Math.Max(options.SeedRadiusMm, options.FirstClickReach * depth));
        }
        Grow(solver, seeds, label, zone, cancellationToken);
    }

    private static void Grow(GrowCutSolver solver, List<int> seeds, byte label, GrowCutZone? zone, CancellationToken cancellationToken)
    {
        foreach (int seed in seeds) solver.AddSeed(seed, label);
        solver.Run(progress: null, cancellationToken, zone);
    }

    /// <summary>
    /// What a positive correction may add: voxels whose intensity, or whose 3×3×3 mean intensity, lies in the band the
    /// interior of the mask holds (between its quantiles; interior: all 26 neighbours in the mask, so that the
    /// partial-volume rim does not widen the band; the whole mask when it has no interior), each band joined with one of
    /// the same width around the click's median so that a click on a missed part of another shade still adds that part,
    /// and widened by a quarter of its width on each side. The mean lets noisy voxels inside tissue pass; the single value
    /// lets the rim of the tissue pass. No gate when the mask is empty.
    /// </summary>
    private static GrowCutZone PositiveZone(GrowCutSolver solver, VolumeGeometry g, GrowCutRegion region, Vec3 click, double radius,
        List<int> seeds, double quantile)
    {
        int[] neighbourhood = GrowCutZone.Neighbourhood(region);
        float[] intensity = solver.Intensity;
        byte[] labels = solver.Labels;
        var values = new List<float>();
        var means = new List<float>();
        foreach (bool interiorOnly in new[] { true, false })
        {
            for (int k = 1; k <= region.SizeK; k++)
                for (int j = 1; j <= region.SizeJ; j++)
                {
                    int start = (k * region.PadJ + j) * region.PadI + 1;
                    for (int n = start; n < start + region.SizeI; n++)
                    {
                        if (labels[n] != GrowCutSeeds.Foreground || (interiorOnly && !Interior(labels, neighbourhood, n))) continue;
                        values.Add(intensity[n]);
                        means.Add(GrowCutZone.LocalMean(intensity, neighbourhood, n));
                    }
                }
            if (values.Count > 0) break;
        }
        if (values.Count == 0) return new GrowCutZone(g, region, click, radius);
        var valueBand = WithClick(QuantileBand(values, quantile), seeds.Select(n => intensity[n]));
        var meanBand = WithClick(QuantileBand(means, quantile), seeds.Select(n => GrowCutZone.LocalMean(intensity, neighbourhood, n)));
        return new GrowCutZone(g, region, click, radius, intensity, valueBand, meanBand);

        static (float Low, float High) WithClick((float Low, float High) band, IEnumerable<float> atClick)
        {
            float[] sorted = atClick.Order().ToArray();
            float median = sorted[sorted.Length / 2];
            float half = (band.High - band.Low) / 2;
            float low = Math.Min(band.Low, median - half), high = Math.Max(band.High, median + half), pad = (high - low) / 4;
            return (low - pad, high + pad);
        }
    }

    private static bool Interior(byte[] labels, int[] neighbourhood, int n)
    {
        foreach (int offset in neighbourhood)
            if (labels[n + offset] != GrowCutSeeds.Foreground) return false;
        return true;
    }

    /// <summary>
    /// The values between the <paramref name="quantile"/> and 1 − <paramref name="quantile"/> quantiles, from a 4096-bin
    /// histogram (bin edges included, so the band errs on the wide side by at most a bin).
    /// </summary>
    private static (float Low, float High) QuantileBand(List<float> values, double quantile)
    {
        if (values.Count == 0) return (float.NegativeInfinity, float.PositiveInfinity);
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in values) { if (v < min) min = v; if (v > max) max = v; }
        if (!(max > min)) return (min, max);
        const int bins = 4096;
        var histogram = new long[bins];
        double scale = (bins - 1) / ((double)max - min);
        foreach (float v in values) histogram[(int)((v - min) * scale)]++;
        long count = values.Count, lowRank = (long)(quantile * count), highRank = count - 1 - lowRank, seen = 0;
        int lowBin = 0, highBin = bins - 1;
        bool lowFound = false;
        for (int b = 0; b < bins; b++)
        {
            seen += histogram[b];
            if (!lowFound && seen > lowRank) { lowBin = b; lowFound = true; }
            if (seen > highRank) { highBin = b; break; }
        }
        return ((float)(min + lowBin / scale), (float)(min + (highBin + 1) / scale));
    }
}
