using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// An existing segmentation as SAM-Med3D's mask prompt (docs/protocol.md, "Refining an existing segment"): the prior is
/// sampled at every crop voxel's RAS centre by nearest neighbour (the image's resampling and crop, without
/// interpolation: a mask has no values between 0 and 1), each low-res voxel takes the fraction f of its
/// (crop size / low-res size)³ crop voxels that are inside, and its logit is (2f − 1)·<see cref="Magnitude"/>.
/// Crop voxels outside the volume count as outside.
/// </summary>
public static class PriorPrompt
{
    /// <summary>
    /// The logit of a low-res voxel wholly inside (and minus that wholly outside). σ(8) ≈ 0.9997: a confident mask that the
    /// decoder's sigmoid saturates, but not so large that a click cannot override it; the decoder's own logits on
    /// confidently segmented voxels are of this order (a few units to a few tens).
    /// </summary>
    public const float Magnitude = 8f;

    public static float[] LowResLogits(SamCrop crop, PriorMask prior, int lowResSize, float magnitude = Magnitude)
    {
        ArgumentNullException.ThrowIfNull(crop);
        ArgumentNullException.ThrowIfNull(prior);
        int n = crop.Size;
        if (lowResSize <= 0 || n % lowResSize != 0)
            throw new ArgumentException($"Crop size {n} is not a multiple of the low-res size {lowResSize}.", nameof(lowResSize));
        int factor = n / lowResSize;
        VolumeGeometry g = prior.Geometry;
        // Crop index → prior IJK is affine: the prior's index of crop voxel (0,0,0) plus one step per crop axis.
        Vec3 origin = g.RasToIjkPoint(crop.Geometry.IjkToRasPoint(new Vec3(0, 0, 0)));
        Vec3 step0 = g.RasToIjkPoint(crop.Geometry.IjkToRasPoint(new Vec3(1, 0, 0))) - origin;
        Vec3 step1 = g.RasToIjkPoint(crop.Geometry.IjkToRasPoint(new Vec3(0, 1, 0))) - origin;
        Vec3 step2 = g.RasToIjkPoint(crop.Geometry.IjkToRasPoint(new Vec3(0, 0, 1))) - origin;
        var counts = new int[lowResSize * lowResSize * lowResSize];
        byte[] voxels = prior.Voxels;
        Parallel.For(0, lowResSize, l0 =>
        {
            for (int a0 = l0 * factor; a0 < (l0 + 1) * factor; a0++)
                for (int a1 = 0; a1 < n; a1++)
                {
                    Vec3 row = origin + step0 * a0 + step1 * a1;
                    int rowBase = (l0 * lowResSize + a1 / factor) * lowResSize;
                    for (int a2 = 0; a2 < n; a2++)
                    {
                        Vec3 p = row + step2 * a2;
                        int i = (int)Math.Round(p.X), j = (int)Math.Round(p.Y), k = (int)Math.Round(p.Z);
                        if (g.Contains(i, j, k) && voxels[g.Index(i, j, k)] != 0) counts[rowBase + a2 / factor]++;
                    }
                }
        });
        float perVoxel = 1f / (factor * factor * factor);
        var logits = new float[counts.Length];
        for (int v = 0; v < logits.Length; v++) logits[v] = (2f * counts[v] * perVoxel - 1f) * magnitude;
        return logits;
    }
}
