using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.CtSam3D.Pipeline;

/// <summary>
/// Puts patch masks onto the original image grid. The official tool assigns each patch result into its 1.5 mm volume
/// mask (later patches overwrite earlier ones, zeros included; spec §8.5) and never goes back to the original grid;
/// here every original voxel takes the value of the 1.5 mm voxel its centre falls in (nearest neighbour through RAS,
/// rounding half up like ITK), which gives that same "last patch wins" result on the original grid.
/// </summary>
public static class PatchPasteBack
{
    /// <summary>
    /// Assigns <paramref name="patchMask"/> (size³, x fastest) to every target voxel whose centre falls inside the patch;
    /// voxels outside <paramref name="roi"/> get 0. Voxels outside the patch are not touched.
    /// </summary>
    public static unsafe void Paste(CtPatch patch, ReadOnlySpan<byte> patchMask, VolumeGeometry target, Span<byte> targetMask, RoiBox? roi = null)
    {
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(target);
        int n = patch.Size;
        if (patchMask.Length != n * n * n) throw new ArgumentException($"Patch mask holds {patchMask.Length} values, a {n}³ patch needs {n * n * n}.");
        if (targetMask.Length != target.VoxelCount) throw new ArgumentException($"Target mask holds {targetMask.Length} values, {target} needs {target.VoxelCount}.");

        // Target index box around the patch's extent (its 8 corners), with a voxel of slack; the per-voxel test decides.
        var lo = new int[] { int.MaxValue, int.MaxValue, int.MaxValue };
        var hi = new int[] { int.MinValue, int.MinValue, int.MinValue };
        int[] sizes = [target.SizeI, target.SizeJ, target.SizeK];
        for (int corner = 0; corner < 8; corner++)
        {
            var c = new Vec3((corner & 1) == 0 ? -0.5 : n - 0.5, (corner & 2) == 0 ? -0.5 : n - 0.5, (corner & 4) == 0 ? -0.5 : n - 0.5);
            var t = target.RasToIjkPoint(patch.Geometry.IjkToRasPoint(c));
            for (int a = 0; a < 3; a++)
            {
                lo[a] = Math.Min(lo[a], (int)Math.Clamp(Math.Floor(t[a]) - 1, -1, sizes[a]));
                hi[a] = Math.Max(hi[a], (int)Math.Clamp(Math.Ceiling(t[a]) + 1, -1, sizes[a]));
            }
        }
        for (int a = 0; a < 3; a++)
        {
            lo[a] = Math.Max(lo[a], 0);
            hi[a] = Math.Min(hi[a], sizes[a] - 1);
            if (lo[a] > hi[a]) return;
        }

        Vec3 baseIndex = patch.Geometry.RasToIjkPoint(target.Origin);
        Vec3 stepI = patch.Geometry.RasToIjkPoint(target.Origin + target.ColumnI) - baseIndex;
        Vec3 stepJ = patch.Geometry.RasToIjkPoint(target.Origin + target.ColumnJ) - baseIndex;
        Vec3 stepK = patch.Geometry.RasToIjkPoint(target.Origin + target.ColumnK) - baseIndex;
        double limit = n - 0.5;
        int sizeI = target.SizeI, sizeJ = target.SizeJ;
        fixed (byte* patchPtr = patchMask, targetPtr = targetMask)
        {
            // Spans cannot enter the lambda; the buffers stay pinned until Parallel.For returns.
            nint patchAddress = (nint)patchPtr, targetAddress = (nint)targetPtr;
            Parallel.For(lo[2], hi[2] + 1, k =>
            {
                byte* source = (byte*)patchAddress, destination = (byte*)targetAddress;
                for (int j = lo[1]; j <= hi[1]; j++)
                {
                    Vec3 row = baseIndex + stepJ * j + stepK * k;
                    byte* targetRow = destination + ((long)k * sizeJ + j) * sizeI;
                    for (int i = lo[0]; i <= hi[0]; i++)
                    {
                        Vec3 p = row + stepI * i;
                        if (!(p.X >= -0.5 && p.X < limit && p.Y >= -0.5 && p.Y < limit && p.Z >= -0.5 && p.Z < limit)) continue;
                        // p + 0.5 ≥ 0 here, so truncation is the floor: round half up, as ITK does.
                        targetRow[i] = roi is not null && !roi.Contains(target.IjkToRasPoint(new Vec3(i, j, k)))
                            ? (byte)0
                            : source[((int)(p.Z + 0.5) * n + (int)(p.Y + 0.5)) * n + (int)(p.X + 0.5)];
                    }
                }
            });
        }
    }
}
