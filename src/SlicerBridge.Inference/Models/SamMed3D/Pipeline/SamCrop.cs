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

    /// <summary>The window whose centre voxel (index size/2) is the canonical voxel nearest <paramref name="centerIndex"/>.</summary>
    public static SamCrop Centered(CanonicalGrid grid, Vec3 centerIndex, int size = 128)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (!centerIndex.IsFinite) throw new ArgumentException("Crop centre must be finite.", nameof(centerIndex));
        return new SamCrop(grid,
            (int)Math.Floor(centerIndex.X + 0.5) - size / 2,
            (int)Math.Floor(centerIndex.Y + 0.5) - size / 2,
            (int)Math.Floor(centerIndex.Z + 0.5) - size / 2,
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
        var sampler = new TrilinearSampler(source, Geometry);
        int n = Size;
        var values = new float[n * n * n];
        int size0 = Grid.Size0, size1 = Grid.Size1, size2 = Grid.Size2;
        float min = clampMin ?? float.NegativeInfinity, max = clampMax ?? float.PositiveInfinity;
        if (!(min <= max)) throw new ArgumentException($"Clamp range [{min}, {max}] is empty.");
        int start0 = Start0, start1 = Start1, start2 = Start2;

        // The canonical grid ends where the resampled image ends: beyond it TorchIO pads, even if the source still has data.
        int a2From = Math.Clamp(-start2, 0, n), a2To = Math.Clamp(size2 - start2, 0, n);
        Parallel.For(0, n, a0 =>
        {
            if ((uint)(start0 + a0) >= (uint)size0) return;
            for (int a1 = 0; a1 < n; a1++)
            {
                if ((uint)(start1 + a1) >= (uint)size1) continue;
                Span<float> row = values.AsSpan((a0 * n + a1) * n, n);
                for (int a2 = a2From; a2 < a2To; a2++)
                {
                    if (sampler.TrySample(a0, a1, a2, out float v))
                        row[a2] = Math.Clamp(v, min, max);
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
