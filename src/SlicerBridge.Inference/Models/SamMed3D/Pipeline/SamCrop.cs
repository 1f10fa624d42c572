using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// A cubic window (128³ by default) of a <see cref="CanonicalGrid"/>, the network's input region
/// (spec sam-med3d.md §7.1 steps 4-6). The window may reach outside the grid; those voxels are padding.
/// Crop arrays are laid out [A0][A1][A2] with A2 fastest, like the PyTorch tensor.
/// </summary>
public sealed class SamCrop
{
    private SamCrop(CanonicalGrid grid, int start0, int start1, int start2, int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "Crop size must be positive.");
        Grid = grid;
        Start0 = start0; Start1 = start1; Start2 = start2;
        Size = size;
        VolumeGeometry g = grid.Geometry;
        Geometry = new VolumeGeometry(size, size, size, g.ColumnI, g.ColumnJ, g.ColumnK,
            grid.ToRas(new Vec3(start0, start1, start2)));
    }

    public CanonicalGrid Grid { get; }

    /// <summary>Canonical index of crop voxel (0,0,0); may be negative.</summary>
    public int Start0 { get; }
    public int Start1 { get; }
    public int Start2 { get; }
    public int Size { get; }

    /// <summary>IJK-to-RAS of the crop voxels (I = A0, J = A1, K = A2).</summary>
    public VolumeGeometry Geometry { get; }

    /// <summary>
    /// The window whose centre voxel (index size/2) is the canonical voxel nearest <paramref name="centerIndex"/>; a centre
    /// exactly halfway between two voxels (within <see cref="1e-6"/>) takes the higher one.
    /// </summary>
    public static SamCrop Centered(CanonicalGrid grid, Vec3 centerIndex, int size = 128)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (!centerIndex.IsFinite) throw new ArgumentException("Crop centre must be finite.", nameof(centerIndex));
        return new SamCrop(grid,
            (int)Math.Floor(centerIndex.X + 0.5 + CropPasteBack.TieTolerance) - size / 2,
            (int)Math.Floor(centerIndex.Y + 0.5 + CropPasteBack.TieTolerance) - size / 2,
            (int)Math.Floor(centerIndex.Z + 0.5 + CropPasteBack.TieTolerance) - size / 2,
            size);
    }

    public static SamCrop At(CanonicalGrid grid, int start0, int start1, int start2, int size = 128)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return new SamCrop(grid, start0, start1, start2, size);
    }

    /// <summary>Continuous crop index (A0, A1, A2) of a RAS position.</summary>
    public Vec3 ToCropIndex(Vec3 ras) => Geometry.RasToIjkPoint(ras);

    /// <summary>True when the continuous crop index rounds to a crop voxel.</summary>
    public bool ContainsCropIndex(Vec3 idx) =>
        idx.X >= -0.5 && idx.X < Size - 0.5 && idx.Y >= -0.5 && idx.Y < Size - 0.5 && idx.Z >= -0.5 && idx.Z < Size - 0.5;

    /// <summary>
    /// The network input: <see cref="SampleRaw"/> followed by the masked z-normalisation (mask = raw value &gt; 0).
    /// </summary>
    public float[] Sample(Volume source, float? clampMin = null, float? clampMax = null)
    {
        float[] values = SampleRaw(source, clampMin, clampMax);
        ZNormalizeMasked(values);
        return values;
    }

    /// <summary>
    /// Size³ values, A2 fastest: the source trilinearly interpolated at each crop voxel's RAS centre
    /// (SimpleITK linear interpolation, default value 0), optionally clamped; voxels outside the source
    /// extent or outside the canonical grid are padding (0, never clamped).
    /// </summary>
    public float[] SampleRaw(Volume source, float? clampMin = null, float? clampMax = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        float min = clampMin ?? float.NegativeInfinity, max = clampMax ?? float.PositiveInfinity;
        if (!(min <= max)) throw new ArgumentException($"Clamp range [{min}, {max}] is empty.");

        var sampler = new TrilinearSampler(source, Geometry);
        int n = Size;
        var values = new float[n * n * n];

        // The canonical grid ends where the resampled image ends: beyond it TorchIO pads, even if the source still has data.
        int[] from = [Math.Clamp(-Start0, 0, n), Math.Clamp(-Start1, 0, n), Math.Clamp(-Start2, 0, n)];
        int[] to = [Math.Clamp(Grid.Size0 - Start0, 0, n), Math.Clamp(Grid.Size1 - Start1, 0, n), Math.Clamp(Grid.Size2 - Start2, 0, n)];

        // Walk the crop so that the innermost loop follows the source's fastest axis: the gathers then stay in
        // cache, which matters far more than the scattered writes into the crop.
        int[] loops = [0, 1, 2];
        Array.Sort(loops, (p, q) => sampler.DominantSourceAxis(q).CompareTo(sampler.DominantSourceAxis(p)));
        int outer = loops[0], middle = loops[1], inner = loops[2];
        int[] stride = [n * n, n, 1];
        Vec3 stepO = sampler.Step(outer), stepM = sampler.Step(middle), stepI = sampler.Step(inner);
        int strideO = stride[outer], strideM = stride[middle], strideI = stride[inner];
        int innerFrom = from[inner], innerTo = to[inner], middleFrom = from[middle], middleTo = to[middle];

        Parallel.For(from[outer], Math.Max(from[outer], to[outer]), o =>
        {
            for (int m = middleFrom; m < middleTo; m++)
            {
                Vec3 row = sampler.Origin + stepO * o + stepM * m;
                int rowOffset = o * strideO + m * strideM;
                for (int i = innerFrom; i < innerTo; i++)
                {
                    if (sampler.TrySample(row.X + stepI.X * i, row.Y + stepI.Y * i, row.Z + stepI.Z * i, out float v))
                        values[rowOffset + i * strideI] = Math.Clamp(v, min, max);
                }
            }
        });
        return values;
    }

    /// <summary>
    /// TorchIO ZNormalization(masking_method = x &gt; 0): mean and unbiased std over the values &gt; 0, applied to all values.
    /// With fewer than two such values or a zero std, the std is taken as 1 (and the mean as 0 when there are none).
    /// </summary>
    public static void ZNormalizeMasked(Span<float> values)
    {
        long count = 0;
        double sum = 0;
        foreach (float v in values)
        {
            if (v > 0) { count++; sum += v; }
        }
        double mean = count > 0 ? sum / count : 0;
        double squares = 0;
        foreach (float v in values)
        {
            if (v > 0) { double d = v - mean; squares += d * d; }
        }
        double std = count >= 2 ? Math.Sqrt(squares / (count - 1)) : 0;
        if (std == 0 || !double.IsFinite(std)) std = 1;

        float meanF = (float)mean, stdF = (float)std;
        for (int i = 0; i < values.Length; i++) values[i] = (values[i] - meanF) / stdF;
    }
}
