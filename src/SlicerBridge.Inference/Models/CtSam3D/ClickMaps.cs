namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>A click in patch voxel coordinates (x, y, z) = (A2, A1, A0); label 1 positive, 0 negative, −1 ignored.</summary>
public readonly record struct CtSamClick(float X, float Y, float Z, int Label);

/// <summary>
/// PromptEncoderClickmap (spec §3.1): the "progressively and spatially aligned" click maps. It has no learned weights;
/// it rasterises each click as a 17³ Gaussian box (σ 2 voxels, corners below float32 epsilon zeroed) into the positive
/// or the negative map, [A0][A1][A2] with A2 fastest, both maps in one array (positive first).
/// </summary>
public static class ClickMaps
{
    private const int Radius = 8, Box = 2 * Radius + 1;
    private static readonly float[] Kernel = BuildKernel();

    /// <summary>2 × size³ values: [positive map, negative map].</summary>
    public static float[] Rasterise(ReadOnlySpan<CtSamClick> clicks, int size)
    {
        long volume = (long)size * size * size;
        var maps = new float[2 * volume];
        foreach (var click in clicks)
        {
            if (click.Label == -1) continue;
            if (click.Label is not (0 or 1)) throw new ArgumentException($"Click label {click.Label} is not supported (1 positive, 0 negative, −1 ignored).");
            // Coordinates are truncated toward zero, as the official int() cast does.
            int cx = (int)click.X, cy = (int)click.Y, cz = (int)click.Z;
            if (!(click.X >= 0 && click.Y >= 0 && click.Z >= 0) || cx >= size || cy >= size || cz >= size)
                throw new ArgumentException($"Click ({click.X}, {click.Y}, {click.Z}) lies outside the {size}³ patch.");
            var map = maps.AsSpan(click.Label == 1 ? 0 : (int)volume, (int)volume);
            var (z0, z1) = Range(cz, size);
            var (y0, y1) = Range(cy, size);
            var (x0, x1) = Range(cx, size);
            for (int z = z0; z < z1; z++)
                for (int y = y0; y < y1; y++)
                {
                    int kernelRow = ((z - cz + Radius) * Box + (y - cy + Radius)) * Box;
                    int mapRow = (z * size + y) * size;
                    // Quirk (official code, must be replicated): the clipped box is ASSIGNED, not max-combined. A later click of
                    // the same sign overwrites the whole overlapping box of an earlier one, its zeroed corners and tails included,
                    // so an earlier click's centre can end up far below 1 (fixture click 3: 0.02665 at click 1's centre).
                    Kernel.AsSpan(kernelRow + x0 - cx + Radius, x1 - x0).CopyTo(map.Slice(mapRow + x0, x1 - x0));
                }
        }
        // The official min-max normalisation of each non-empty map is an exact no-op for clicks inside the patch: a 17³ box
        // never covers 64³, so the minimum is 0, and the last click of each sign keeps its centre value 1.
        return maps;
    }

    /// <summary>Written voxel range [c − min(c, 8), c + min(size − c, 9)) on one axis: the box clipped at the border.</summary>
    private static (int From, int To) Range(int c, int size) => (c - Math.Min(c, Radius), c + Math.Min(size - c, Radius + 1));

    private static float[] BuildKernel()
    {
        // exp(−r²/8) in float32, then entries below ε_f32·max (2⁻²³) set to 0: keeps r² ≤ 127 (4501 of 4913 voxels).
        var k = new float[Box * Box * Box];
        float threshold = MathF.Pow(2, -23);
        for (int i = 0; i < Box; i++)
            for (int j = 0; j < Box; j++)
                for (int l = 0; l < Box; l++)
                {
                    int r2 = (i - Radius) * (i - Radius) + (j - Radius) * (j - Radius) + (l - Radius) * (l - Radius);
                    float v = MathF.Exp(-r2 / 8f);
                    k[(i * Box + j) * Box + l] = v < threshold ? 0 : v;
                }
        return k;
    }
}
