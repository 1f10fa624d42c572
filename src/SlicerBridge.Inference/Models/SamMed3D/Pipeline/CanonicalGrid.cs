using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// The grid a volume lands on after TorchIO <c>Resample(spacing)</c> then <c>ToCanonical</c>
/// (spec sam-med3d.md §7.1 steps 2-3), described but not materialised: axis 0 points toward +R,
/// axis 1 toward +A, axis 2 toward +S, all with the isotropic spacing.
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

        // Resample: direction kept, spacing replaced, size = ceil(n·s/new), origin = old continuous index 0.5·(new/s − 1).
        var resampledColumns = new Vec3[3];
        var resampledSizes = new int[3];
        Vec3 resampledOrigin = source.Origin;
        for (int a = 0; a < 3; a++)
        {
            double oldSpacing = columns[a].Length;
            Vec3 direction = columns[a] * (1 / oldSpacing);
            resampledColumns[a] = direction * spacingMm;
            resampledSizes[a] = CeilTolerant(sizes[a] * oldSpacing / spacingMm);
            resampledOrigin += columns[a] * (0.5 * (spacingMm / oldSpacing - 1));
        }

        // ToCanonical: permute and flip the resampled axes (nibabel io_orientation + as_closest_canonical).
        var (outputAxisOf, flipped) = ClosestCanonicalOrientation(resampledColumns);
        var canonicalColumns = new Vec3[3];
        var canonicalSizes = new int[3];
        Vec3 canonicalOrigin = resampledOrigin;
        for (int a = 0; a < 3; a++)
        {
            int r = outputAxisOf[a];
            canonicalSizes[r] = resampledSizes[a];
            if (flipped[a])
            {
                // Index i becomes n−1−i, so the new voxel 0 is the far end of this axis.
                canonicalOrigin += resampledColumns[a] * (resampledSizes[a] - 1);
                canonicalColumns[r] = resampledColumns[a] * -1;
            }
            else
            {
                canonicalColumns[r] = resampledColumns[a];
            }
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
