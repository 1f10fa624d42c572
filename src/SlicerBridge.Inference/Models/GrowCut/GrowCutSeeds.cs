using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>Turns clicks and the region border into seed voxels (padded indices of the work region).</summary>
internal static class GrowCutSeeds
{
    public const byte Foreground = 1;
    public const byte Background = 2;

    /// <summary>Every voxel on the faces of the region: the background seeds that stop the growth at the ROI.</summary>
    public static List<int> Border(GrowCutRegion r)
    {
        var seeds = new List<int>();
        for (int k = r.K0; k <= r.K1; k++)
            for (int j = r.J0; j <= r.J1; j++)
            {
                bool face = k == r.K0 || k == r.K1 || j == r.J0 || j == r.J1;
                if (face)
                    for (int i = r.I0; i <= r.I1; i++) seeds.Add(r.PaddedIndex(i, j, k));
                else
                {
                    seeds.Add(r.PaddedIndex(r.I0, j, k));
                    if (r.I1 != r.I0) seeds.Add(r.PaddedIndex(r.I1, j, k));
                }
            }
        return seeds;
    }

    /// <summary>
    /// Voxels of the region whose centres lie within <paramref name="radiusMm"/> of the click (RAS distance),
    /// plus the voxel nearest the click so that a radius of 0 still seeds one voxel. Empty when the click is outside the region.
    /// </summary>
    public static List<int> Sphere(VolumeGeometry g, GrowCutRegion r, Vec3 ras, double radiusMm)
    {
        var seeds = new List<int>();
        Vec3 c = g.RasToIjkPoint(ras);
        int ci = (int)Math.Round(c.X), cj = (int)Math.Round(c.Y), ck = (int)Math.Round(c.Z);
        if (!r.Contains(ci, cj, ck)) return seeds;
        ReadOnlySpan<double> m = g.RasToIjk;
        // Half-extent in voxels of a sphere along each index axis: radius times the norm of that row of RAS-to-IJK.
        int ei = (int)Math.Ceiling(radiusMm * new Vec3(m[0], m[1], m[2]).Length);
        int ej = (int)Math.Ceiling(radiusMm * new Vec3(m[4], m[5], m[6]).Length);
        int ek = (int)Math.Ceiling(radiusMm * new Vec3(m[8], m[9], m[10]).Length);
        double r2 = radiusMm * radiusMm;
        for (int k = Math.Max(r.K0, ck - ek); k <= Math.Min(r.K1, ck + ek); k++)
            for (int j = Math.Max(r.J0, cj - ej); j <= Math.Min(r.J1, cj + ej); j++)
                for (int i = Math.Max(r.I0, ci - ei); i <= Math.Min(r.I1, ci + ei); i++)
                {
                    Vec3 d = g.IjkToRasPoint(new Vec3(i, j, k)) - ras;
                    if ((i == ci && j == cj && k == ck) || d.Dot(d) <= r2) seeds.Add(r.PaddedIndex(i, j, k));
                }
        return seeds;
    }
}
