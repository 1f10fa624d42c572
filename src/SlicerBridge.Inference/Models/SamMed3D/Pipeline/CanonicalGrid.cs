using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// The grid a volume lands on after TorchIO <c>Resample(spacing)</c> then <c>ToCanonical</c>
/// (spec sam-med3d.md §7.1 steps 2-3), described but not materialised: axis 0 points toward +R,
/// axis 1 toward +A, axis 2 toward +S, all with the isotropic spacing. Its placement depends only on where the scan is
/// in physical space, not on the order its voxels are stored in (see <see cref="For"/>).
/// </summary>
public sealed class CanonicalGrid
{
    private CanonicalGrid(VolumeGeometry source, VolumeGeometry geometry, double spacingMm)
    {
        Source = source;
        Geometry = geometry;
        SpacingMm = spacingMm;
    }

    /// <summary>The original volume's grid.</summary>
    public VolumeGeometry Source { get; }

    /// <summary>The canonical resampled grid (axis 0 = I, axis 1 = J, axis 2 = K).</summary>
    public VolumeGeometry Geometry { get; }

    public double SpacingMm { get; }
    public int Size0 => Geometry.SizeI;
    public int Size1 => Geometry.SizeJ;
    public int Size2 => Geometry.SizeK;

    /// <summary>Continuous canonical index of a RAS position.</summary>
    public Vec3 ToIndex(Vec3 ras) => Geometry.RasToIjkPoint(ras);

    /// <summary>RAS position of a continuous canonical index.</summary>
    public Vec3 ToRas(Vec3 index) => Geometry.IjkToRasPoint(index);

    public static CanonicalGrid For(VolumeGeometry source, double spacingMm = 1.5)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!(spacingMm > 0) || !double.IsFinite(spacingMm))
            throw new ArgumentOutOfRangeException(nameof(spacingMm), spacingMm, "Spacing must be a positive number of millimetres.");

        Vec3[] columns = [source.ColumnI, source.ColumnJ, source.ColumnK];
        int[] sizes = [source.SizeI, source.SizeJ, source.SizeK];
        var (outputAxisOf, flipped) = ClosestCanonicalOrientation(columns);

        // Each source axis becomes the canonical axis it is closest to, pointing toward +R/+A/+S, with the new spacing and
        // ceil(n·s/new) voxels. The lattice is anchored in physical space, at the voxel centre that is lowest along that
        // direction: the same scan stored flipped or with permuted axes then gets the same grid, voxel for voxel.
        // For RAS-stored axes this is TorchIO's Resample (voxel 0 at old continuous index 0.5·(new/s − 1)); for a flipped
        // axis TorchIO would anchor at the stored first voxel instead, which moves the whole lattice by up to one new
        // voxel and makes the mask depend on how the file happens to be stored.
        var canonicalColumns = new Vec3[3];
        var canonicalSizes = new int[3];
        Vec3 canonicalOrigin = source.Origin;
        for (int a = 0; a < 3; a++)
        {
            double oldSpacing = columns[a].Length;
            Vec3 toward = columns[a] * ((flipped[a] ? -1 : 1) / oldSpacing);
            if (flipped[a]) canonicalOrigin += columns[a] * (sizes[a] - 1); // the lowest voxel centre is the last stored one
            canonicalOrigin += toward * (0.5 * (spacingMm - oldSpacing));
            int r = outputAxisOf[a];
            canonicalColumns[r] = toward * spacingMm;
            canonicalSizes[r] = CeilTolerant(sizes[a] * oldSpacing / spacingMm);
        }

        var geometry = new VolumeGeometry(canonicalSizes[0], canonicalSizes[1], canonicalSizes[2],
            canonicalColumns[0], canonicalColumns[1], canonicalColumns[2], canonicalOrigin);
        return new CanonicalGrid(source, geometry, spacingMm);
    }

    /// <summary>
    /// For each source axis, the RAS axis it maps to and whether it runs against it. Like nibabel's
    /// io_orientation, source axes are taken in order and each claims its largest remaining RAS component,
    /// which guarantees a permutation even for 45° obliques.
    /// </summary>
    private static (int[] OutputAxisOf, bool[] Flipped) ClosestCanonicalOrientation(Vec3[] columns)
    {
        var outputAxisOf = new int[3];
        var flipped = new bool[3];
        var taken = new bool[3];
        for (int a = 0; a < 3; a++)
        {
            Vec3 direction = columns[a] * (1 / columns[a].Length);
            int best = -1;
            for (int r = 0; r < 3; r++)
            {
                if (taken[r]) continue;
                if (best < 0 || Math.Abs(direction[r]) > Math.Abs(direction[best])) best = r;
            }
            taken[best] = true;
            outputAxisOf[a] = best;
            flipped[a] = direction[best] < 0;
        }
        return (outputAxisOf, flipped);
    }

    // The spacing comes back from the matrix as a vector length, so n·s/new can sit a rounding error above an integer.
    private static int CeilTolerant(double value) => Math.Max(1, (int)Math.Ceiling(value - 1e-9 * Math.Max(1, value)));
}
