using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// Puts a crop-space mask back onto the original image grid (spec sam-med3d.md §7.3): nearest-neighbour
/// resampling through RAS, as SimpleITK does it (continuous index rounded half up, inside = [−0.5, n−0.5)).
/// </summary>
/// <remarks>
/// A target voxel centre often lies exactly halfway between two crop voxels (1 mm voxels on a 1.5 mm grid do every third
/// voxel). Computed through a flipped or permuted storage, that half lands a rounding error above or below .5, so the
/// tie is decided with a tolerance, always toward the higher crop index: crop axes point to +R/+A/+S, so the rule is a
/// physical one and the same scan gets the same mask however it is stored.
/// </remarks>
public static class CropPasteBack
{
    /// <summary>Crop-index distance below which a position counts as exactly on a half (far above accumulated rounding, far below any real offset).</summary>
    internal const double TieTolerance = 1e-6;

    /// <summary>
    /// For each target voxel whose centre falls inside the crop: with <paramref name="union"/> a nonzero crop value is
    /// written and a zero leaves the voxel as it was (so overlapping crops accumulate); without it the crop value
    /// overwrites. Inside the crop, voxels whose centre is outside <paramref name="roi"/> are set to 0. Voxels
    /// outside the crop are never touched.
    /// </summary>
    /// <param name="cropMask">crop.Size³ values, A2 fastest.</param>
    /// <param name="targetMask">One value per target voxel, I fastest.</param>
    public static unsafe void Paste(SamCrop crop, ReadOnlySpan<byte> cropMask, VolumeGeometry target, Span<byte> targetMask,
        RoiBox? roi = null, bool union = true)
    {
        ArgumentNullException.ThrowIfNull(crop);
        ArgumentNullException.ThrowIfNull(target);
        int n = crop.Size;
        if (cropMask.Length != n * n * n)
            throw new ArgumentException($"Crop mask holds {cropMask.Length} values, a {n}³ crop needs {n * n * n}.", nameof(cropMask));
        if (targetMask.Length != target.VoxelCount)
            throw new ArgumentException($"Target mask holds {targetMask.Length} values, {target} needs {target.VoxelCount}.", nameof(targetMask));

        if (!TryTargetBounds(crop, target, out var lo, out var hi)) return;

        // Target index (i, j, k) → crop continuous index: affine, so a base plus one step per target axis.
        Vec3 baseIndex = crop.ToCropIndex(target.Origin);
        Vec3 stepI = crop.ToCropIndex(target.Origin + target.ColumnI) - baseIndex;
        Vec3 stepJ = crop.ToCropIndex(target.Origin + target.ColumnJ) - baseIndex;
        Vec3 stepK = crop.ToCropIndex(target.Origin + target.ColumnK) - baseIndex;
        int sizeI = target.SizeI, sizeJ = target.SizeJ;
        double limit = n - 0.5 + TieTolerance;

        fixed (byte* cropPtr = cropMask, targetPtr = targetMask)
        {
            // Spans cannot enter the lambda; the buffers stay pinned until Parallel.For returns.
            nint cropAddress = (nint)cropPtr, targetAddress = (nint)targetPtr;
            Parallel.For(lo.K, hi.K + 1, k =>
            {
                byte* source = (byte*)cropAddress, destination = (byte*)targetAddress;
                for (int j = lo.J; j <= hi.J; j++)
                {
                    Vec3 row = baseIndex + stepJ * j + stepK * k;
                    byte* targetRow = destination + ((long)k * sizeJ + j) * sizeI;
                    var (from, to) = RowSpan(row, stepI, limit, lo.I, hi.I);
                    for (int i = from; i <= to; i++)
                    {
                        // Round half up (with the tie tolerance); the crop holds rounded indices 0..n−1, i.e. [−0.5, n−0.5).
                        double x = Math.Floor(row.X + stepI.X * i + 0.5 + TieTolerance);
                        double y = Math.Floor(row.Y + stepI.Y * i + 0.5 + TieTolerance);
                        double z = Math.Floor(row.Z + stepI.Z * i + 0.5 + TieTolerance);
                        if (!(x >= 0 && x < n && y >= 0 && y < n && z >= 0 && z < n)) continue;
                        if (roi is not null && !roi.Contains(target.IjkToRasPoint(new Vec3(i, j, k))))
                        {
                            targetRow[i] = 0;
                            continue;
                        }
                        int a0 = (int)x, a1 = (int)y, a2 = (int)z;
                        byte value = source[(a0 * n + a1) * n + a2];
                        if (!union || value != 0) targetRow[i] = value;
                    }
                }
            });
        }
    }

    /// <summary>
    /// The i range (inclusive, one voxel of slack) over which row + stepI·i can lie inside [−0.5, limit) on every
    /// crop axis; the per-voxel test still decides, this only skips what an oblique crop's bounding box adds.
    /// </summary>
    private static (int From, int To) RowSpan(Vec3 row, Vec3 stepI, double limit, int from, int to)
    {
        double lower = from, upper = to;
        for (int axis = 0; axis < 3; axis++)
        {
            double start = row[axis], step = stepI[axis];
            if (Math.Abs(step) < 1e-12)
            {
                if (!(start >= -0.5 - TieTolerance && start < limit)) return (0, -1);
                continue;
            }
            double a = (-0.5 - TieTolerance - start) / step, b = (limit - start) / step;
            lower = Math.Max(lower, Math.Min(a, b));
            upper = Math.Min(upper, Math.Max(a, b));
        }
        if (lower > upper + 2) return (0, -1);
        return ((int)Math.Max(from, Math.Floor(lower) - 1), (int)Math.Min(to, Math.Ceiling(upper) + 1));
    }

    /// <summary>Inclusive target index box around the crop's extent (its 8 corners), clipped to the target.</summary>
    private static bool TryTargetBounds(SamCrop crop, VolumeGeometry target, out (int I, int J, int K) lo, out (int I, int J, int K) hi)
    {
        double min0 = double.PositiveInfinity, min1 = double.PositiveInfinity, min2 = double.PositiveInfinity;
        double max0 = double.NegativeInfinity, max1 = double.NegativeInfinity, max2 = double.NegativeInfinity;
        double near = -0.5, far = crop.Size - 0.5;
        for (int corner = 0; corner < 8; corner++)
        {
            var cropCorner = new Vec3((corner & 1) == 0 ? near : far, (corner & 2) == 0 ? near : far, (corner & 4) == 0 ? near : far);
            Vec3 t = target.RasToIjkPoint(crop.Geometry.IjkToRasPoint(cropCorner));
            min0 = Math.Min(min0, t.X); max0 = Math.Max(max0, t.X);
            min1 = Math.Min(min1, t.Y); max1 = Math.Max(max1, t.Y);
            min2 = Math.Min(min2, t.Z); max2 = Math.Max(max2, t.Z);
        }
        // One voxel of slack against rounding; the per-voxel test decides.
        lo = (Clip(Math.Floor(min0) - 1, target.SizeI), Clip(Math.Floor(min1) - 1, target.SizeJ), Clip(Math.Floor(min2) - 1, target.SizeK));
        hi = (Clip(Math.Ceiling(max0) + 1, target.SizeI), Clip(Math.Ceiling(max1) + 1, target.SizeJ), Clip(Math.Ceiling(max2) + 1, target.SizeK));
        return max0 >= -1 && max1 >= -1 && max2 >= -1 &&
               min0 <= target.SizeI && min1 <= target.SizeJ && min2 <= target.SizeK;
    }

    private static int Clip(double index, int size) => (int)Math.Clamp(index, 0, size - 1);
}
