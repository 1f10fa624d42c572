using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.CtSam3D.Pipeline;

/// <summary>
/// A 64³ window of a <see cref="RaiGrid"/> centred on a grid voxel (spec §8.2: <c>crop_roi_with_center</c>): patch voxel p
/// is grid voxel c − 32 + p. Arrays are [z][y][x] with x fastest, the network's layout.
/// </summary>
public sealed class CtPatch
{
    public CtPatch(RaiGrid grid, (int X, int Y, int Z) center, int size = 64)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "Patch size must be positive.");
        Grid = grid;
        Center = center;
        Size = size;
        Start = (center.X - size / 2, center.Y - size / 2, center.Z - size / 2);
        var g = grid.Geometry;
        Geometry = new VolumeGeometry(size, size, size, g.ColumnI, g.ColumnJ, g.ColumnK, g.IjkToRasPoint(new Vec3(Start.X, Start.Y, Start.Z)));
    }

    public RaiGrid Grid { get; }
    public (int X, int Y, int Z) Center { get; }
    public (int X, int Y, int Z) Start { get; }
    public int Size { get; }

    /// <summary>IJK (x, y, z of the patch) to RAS.</summary>
    public VolumeGeometry Geometry { get; }

    /// <summary>Patch voxel of a grid voxel, and whether it lies in the patch (the tool's "rounded patch index in [0, 63]").</summary>
    public bool TryPatchVoxel((int X, int Y, int Z) gridVoxel, out (int X, int Y, int Z) patchVoxel)
    {
        patchVoxel = (gridVoxel.X - Start.X, gridVoxel.Y - Start.Y, gridVoxel.Z - Start.Z);
        return (uint)patchVoxel.X < (uint)Size && (uint)patchVoxel.Y < (uint)Size && (uint)patchVoxel.Z < (uint)Size;
    }

    /// <summary>
    /// Hounsfield values at the patch voxels: ITK linear interpolation of the source (clamp to edge inside its extent
    /// [−0.5, n − 0.5)), <paramref name="padValue"/> outside the source extent or the grid. An integer source is truncated
    /// toward zero after interpolation, as ITK's resampler casts back to the input pixel type.
    /// </summary>
    public float[] SampleHu(Volume source, float padValue = -1024)
    {
        ArgumentNullException.ThrowIfNull(source);
        var sampler = new TrilinearSampler(source, Geometry);
        bool integer = source.SourceType is not (VoxelType.Float32 or VoxelType.Float64);
        int n = Size;
        var values = new float[n * n * n];
        var grid = Grid.Geometry;
        Vec3 step0 = sampler.Step(0), step1 = sampler.Step(1), step2 = sampler.Step(2), origin = sampler.Origin;
        var start = Start;
        Parallel.For(0, n, z =>
        {
            for (int y = 0; y < n; y++)
            {
                int row = (z * n + y) * n;
                for (int x = 0; x < n; x++)
                {
                    float v = padValue;
                    if (grid.Contains(start.X + x, start.Y + y, start.Z + z))
                    {
                        Vec3 c = origin + step0 * x + step1 * y + step2 * z;
                        if (sampler.TrySample(c.X, c.Y, c.Z, out float sampled)) v = integer ? MathF.Truncate(sampled) : sampled;
                    }
                    values[row + x] = v;
                }
            }
        });
        return values;
    }

    /// <summary>
    /// The network input (spec §8.3): clamp to [min, max] HU, then (x − min)·(1/(max − min)) in float32: ITK's ShiftScale
    /// multiplies by the reciprocal, which differs from a division by an ulp on some values (the fixture's input has it).
    /// </summary>
    public static float[] Normalise(ReadOnlySpan<float> hu, float min, float max)
    {
        if (!(min < max)) throw new ArgumentException($"Intensity window [{min}, {max}] is empty.");
        var values = new float[hu.Length];
        float scale = 1 / (max - min);
        for (int i = 0; i < values.Length; i++) values[i] = (Math.Clamp(hu[i], min, max) - min) * scale;
        return values;
    }
}
