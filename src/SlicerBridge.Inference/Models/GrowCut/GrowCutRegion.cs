using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// The cropped box of the volume GrowCut works in (inclusive voxel bounds), laid out with a one-voxel
/// pad on every side so neighbour loops need no bounds checks (pad voxels are walls).
/// </summary>
public sealed record GrowCutRegion(int I0, int J0, int K0, int I1, int J1, int K1)
{
    public int SizeI => I1 - I0 + 1;
    public int SizeJ => J1 - J0 + 1;
    public int SizeK => K1 - K0 + 1;
    public long VoxelCount => (long)SizeI * SizeJ * SizeK;

    /// <summary>Padded dimensions (region + 1 voxel each side).</summary>
    public int PadI => SizeI + 2;
    public int PadJ => SizeJ + 2;
    public int PadK => SizeK + 2;
    /// <summary>Voxels of the padded box; a box too large for one buffer (a degenerate grid, a huge ROI) is a segmentation error.</summary>
    public int PaddedCount => (long)PadI * PadJ * PadK is var n && n <= Array.MaxLength ? (int)n
        : throw new SegmentationException($"The work region {SizeI}x{SizeJ}x{SizeK} is too large for GrowCut; draw a smaller ROI.");

    /// <summary>Padded flat index of volume voxel (i,j,k), which must lie in the region.</summary>
    public int PaddedIndex(int i, int j, int k) => ((k - K0 + 1) * PadJ + (j - J0 + 1)) * PadI + (i - I0 + 1);

    public bool Contains(int i, int j, int k) => i >= I0 && i <= I1 && j >= J0 && j <= J1 && k >= K0 && k <= K1;

    /// <summary>The smallest region that holds both.</summary>
    public GrowCutRegion Union(GrowCutRegion other) => new(Math.Min(I0, other.I0), Math.Min(J0, other.J0), Math.Min(K0, other.K0),
        Math.Max(I1, other.I1), Math.Max(J1, other.J1), Math.Max(K1, other.K1));

    /// <summary>True when the axis-aligned RAS box of half-size <paramref name="marginMm"/> around a point lies in the region.</summary>
    public bool Contains(VolumeGeometry g, Vec3 ras, double marginMm)
    {
        var margin = new Vec3(marginMm, marginMm, marginMm);
        GrowCutRegion? box = FromRasBounds(g, ras - margin, ras + margin);
        return box is not null && box.I0 >= I0 && box.J0 >= J0 && box.K0 >= K0 && box.I1 <= I1 && box.J1 <= J1 && box.K1 <= K1;
    }

    /// <summary>The voxels whose centres lie inside an ROI box (bounding box in IJK of its corners, clamped).</summary>
    public static GrowCutRegion? FromRoi(VolumeGeometry g, RoiBox roi)
    {
        var corners = new List<Vec3>(8);
        for (int c = 0; c < 8; c++)
        {
            Vec3 offset = roi.AxisX * (((c & 1) == 0 ? -0.5 : 0.5) * roi.Size.X)
                        + roi.AxisY * (((c & 2) == 0 ? -0.5 : 0.5) * roi.Size.Y)
                        + roi.AxisZ * (((c & 4) == 0 ? -0.5 : 0.5) * roi.Size.Z);
            corners.Add(roi.Center + offset);
        }
        return FromRasCorners(g, corners);
    }

    /// <summary>Axis-aligned RAS box [min,max] → the clamped IJK box that covers it, or null when it misses the volume.</summary>
    public static GrowCutRegion? FromRasBounds(VolumeGeometry g, Vec3 min, Vec3 max)
    {
        var corners = new List<Vec3>(8);
        for (int c = 0; c < 8; c++)
            corners.Add(new Vec3((c & 1) == 0 ? min.X : max.X, (c & 2) == 0 ? min.Y : max.Y, (c & 4) == 0 ? min.Z : max.Z));
        return FromRasCorners(g, corners);
    }

    private static GrowCutRegion? FromRasCorners(VolumeGeometry g, List<Vec3> corners)
    {
        double lo0 = double.MaxValue, lo1 = double.MaxValue, lo2 = double.MaxValue;
        double hi0 = double.MinValue, hi1 = double.MinValue, hi2 = double.MinValue;
        foreach (var c in corners)
        {
            Vec3 ijk = g.RasToIjkPoint(c);
            lo0 = Math.Min(lo0, ijk.X); hi0 = Math.Max(hi0, ijk.X);
            lo1 = Math.Min(lo1, ijk.Y); hi1 = Math.Max(hi1, ijk.Y);
            lo2 = Math.Min(lo2, ijk.Z); hi2 = Math.Max(hi2, ijk.Z);
        }
        const double eps = 1e-6;
        // Clamp before the integer casts so boxes far outside the grid cannot overflow.
        lo0 = Math.Clamp(lo0, -2, g.SizeI + 1); hi0 = Math.Clamp(hi0, -2, g.SizeI + 1);
        lo1 = Math.Clamp(lo1, -2, g.SizeJ + 1); hi1 = Math.Clamp(hi1, -2, g.SizeJ + 1);
        lo2 = Math.Clamp(lo2, -2, g.SizeK + 1); hi2 = Math.Clamp(hi2, -2, g.SizeK + 1);
        int i0 = Math.Max(0, (int)Math.Ceiling(lo0 - eps)), i1 = Math.Min(g.SizeI - 1, (int)Math.Floor(hi0 + eps));
        int j0 = Math.Max(0, (int)Math.Ceiling(lo1 - eps)), j1 = Math.Min(g.SizeJ - 1, (int)Math.Floor(hi1 + eps));
        int k0 = Math.Max(0, (int)Math.Ceiling(lo2 - eps)), k1 = Math.Min(g.SizeK - 1, (int)Math.Floor(hi2 + eps));
        if (i0 > i1 || j0 > j1 || k0 > k1) return null;
        return new GrowCutRegion(i0, j0, k0, i1, j1, k1);
    }
}
