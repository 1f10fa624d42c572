using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// Starts GrowCut from an existing segmentation (<see cref="SegmentationRequest.Prior"/>) instead of from nothing: the
/// labels become exactly the prior inside the work region, and each voxel's distance is its shortest-path cost from the
/// prior's boundary (from the inner boundary for prior voxels, the outer boundary and the region border for the others).
/// That is the state a competition would leave had it produced the prior, so the clicks that follow act as the usual
/// corrections (<see cref="GrowCutClick"/>): a positive click adds the missed part it sits in, a negative click removes the
/// part of the prior it sits in, and its seed sphere is background whatever the prior says.
/// </summary>
internal static class GrowCutPrior
{
    /// <summary>The prior's bounding box widened by <paramref name="marginMm"/> on every side, clamped to the volume; null when empty.</summary>
    public static GrowCutRegion? Box(VolumeGeometry g, PriorMask prior, double marginMm)
    {
        if (prior.Bounds is not { } b) return null;
        var spacing = g.Spacing;
        int mi = (int)Math.Ceiling(marginMm / spacing.X), mj = (int)Math.Ceiling(marginMm / spacing.Y), mk = (int)Math.Ceiling(marginMm / spacing.Z);
        return new GrowCutRegion(Math.Max(0, b.I0 - mi), Math.Max(0, b.J0 - mj), Math.Max(0, b.K0 - mk),
            Math.Min(g.SizeI - 1, b.I1 + mi), Math.Min(g.SizeJ - 1, b.J1 + mj), Math.Min(g.SizeK - 1, b.K1 + mk));
    }

    /// <summary>
    /// Seeds both sides of the prior's boundary (and the region border outside the prior), runs the competition, then sets
    /// the labels to the prior (so ties in the costs cannot move its boundary). The solver must hold fresh maps.
    /// </summary>
    public static void Apply(GrowCutSolver solver, GrowCutRegion r, PriorMask prior, int connectivity, CancellationToken cancellationToken)
    {
        var inside = new bool[r.PaddedCount];
        for (int k = r.K0; k <= r.K1; k++)
            for (int j = r.J0; j <= r.J1; j++)
                for (int i = r.I0; i <= r.I1; i++)
                    inside[r.PaddedIndex(i, j, k)] = prior.Inside(i, j, k);

        var offsets = new List<int>(26);
        for (int dk = -1; dk <= 1; dk++)
            for (int dj = -1; dj <= 1; dj++)
                for (int di = -1; di <= 1; di++)
                {
                    int manhattan = Math.Abs(di) + Math.Abs(dj) + Math.Abs(dk);
                    if (manhattan == 0 || (connectivity == 6 && manhattan > 1)) continue;
                    offsets.Add((dk * r.PadJ + dj) * r.PadI + di);
                }
        float[] distance = solver.Distance;
        for (int k = r.K0; k <= r.K1; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int j = r.J0; j <= r.J1; j++)
                for (int i = r.I0; i <= r.I1; i++)
                {
                    int n = r.PaddedIndex(i, j, k);
                    bool isInside = inside[n];
                    bool onBorder = i == r.I0 || i == r.I1 || j == r.J0 || j == r.J1 || k == r.K0 || k == r.K1;
                    bool boundary = !isInside && onBorder;
                    foreach (int offset in offsets)
                    {
                        int m = n + offset;
                        // Pad voxels (distance −∞) are walls, not the other side of the boundary.
                        if (float.IsNegativeInfinity(distance[m]) || inside[m] == isInside) continue;
                        boundary = true;
                        break;
                    }
                    if (boundary) solver.AddSeed(n, isInside ? GrowCutSeeds.Foreground : GrowCutSeeds.Background);
                }
        }
        // A prior with nothing in the region leaves only the border seeds: the same start as without a prior.
        solver.Run(progress: null, cancellationToken);
        byte[] labels = solver.Labels;
        for (int k = r.K0; k <= r.K1; k++)
            for (int j = r.J0; j <= r.J1; j++)
                for (int i = r.I0; i <= r.I1; i++)
                {
                    int n = r.PaddedIndex(i, j, k);
                    labels[n] = inside[n] ? GrowCutSeeds.Foreground : GrowCutSeeds.Background;
                }
    }
}
