using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models;

/// <summary>
/// An existing segmentation to refine (docs/protocol.md, "Refining an existing segment"): one byte per voxel on the
/// volume's grid, I fastest, nonzero = inside. Models start from it instead of from nothing. Immutable; model states
/// remember the instance they started from, so a newer prior (a new instance) never reuses their state.
/// </summary>
public sealed class PriorMask
{
    public PriorMask(VolumeGeometry geometry, byte[] voxels)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(voxels);
        if (voxels.LongLength != geometry.VoxelCount)
            throw new ArgumentException($"A prior on {geometry} needs {geometry.VoxelCount} voxels, got {voxels.LongLength}.", nameof(voxels));
        Geometry = geometry;
        Voxels = voxels;
        int i0 = int.MaxValue, j0 = int.MaxValue, k0 = int.MaxValue, i1 = -1, j1 = -1, k1 = -1;
        long count = 0, n = 0;
        for (int k = 0; k < geometry.SizeK; k++)
            for (int j = 0; j < geometry.SizeJ; j++)
                for (int i = 0; i < geometry.SizeI; i++, n++)
                {
                    if (voxels[n] == 0) continue;
                    count++;
                    if (i < i0) i0 = i; if (i > i1) i1 = i;
                    if (j < j0) j0 = j; if (j > j1) j1 = j;
                    if (k < k0) k0 = k; if (k > k1) k1 = k;
                }
        InsideCount = count;
        Bounds = count == 0 ? null : (i0, j0, k0, i1, j1, k1);
    }

    public VolumeGeometry Geometry { get; }

    /// <summary>Nonzero = inside; the caller must not change it after construction.</summary>
    public byte[] Voxels { get; }

    public long InsideCount { get; }
    public bool IsEmpty => InsideCount == 0;

    /// <summary>Inclusive IJK box of the inside voxels; null when empty.</summary>
    public (int I0, int J0, int K0, int I1, int J1, int K1)? Bounds { get; }

    /// <summary>The prior when it marks something on <paramref name="volume"/>'s grid; null when absent or empty; a prior on another grid is a caller's error.</summary>
    public static PriorMask? For(PriorMask? prior, VolumeGeometry volume)
    {
        if (prior is null || prior.IsEmpty) return null;
        return prior.Geometry.Equals(volume) ? prior
            : throw new SegmentationException($"The prior ({prior.Geometry}) is not on the volume's grid ({volume}).");
    }

    public bool Inside(int i, int j, int k) => Voxels[Geometry.Index(i, j, k)] != 0;
}
