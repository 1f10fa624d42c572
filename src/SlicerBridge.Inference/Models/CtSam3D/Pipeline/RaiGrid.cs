using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.CtSam3D.Pipeline;

/// <summary>
/// The grid of the official <c>resample_itkimage_torai(image, 1.5 mm, "linear", −1024)</c> (spec ct-sam3d.md §8.1),
/// described but not materialised: identity direction in ITK's LPS world, so axis 0 (x, fastest) runs toward patient
/// Left, axis 1 (y) toward Posterior, axis 2 (z) toward Superior; origin at the minimum of the input's index-box corners
/// (index 0 or <b>size</b>, not size − 1, per axis), size = round-half-even(extent / spacing). With a flipped input axis
/// (every RAS-aligned NIfTI) the first output voxel lands one input voxel beyond the data and is padding: that is
/// the official grid, reproduced rather than "cleaned up".
/// </summary>
public sealed class RaiGrid
{
    private RaiGrid(VolumeGeometry geometry, double spacingMm)
    {
        Geometry = geometry;
        SpacingMm = spacingMm;
    }

    /// <summary>IJK (= x, y, z) to RAS of the grid voxels.</summary>
    public VolumeGeometry Geometry { get; }

    public double SpacingMm { get; }

    /// <summary>Continuous grid index (x, y, z) of a RAS position.</summary>
    public Vec3 ToIndex(Vec3 ras) => Geometry.RasToIjkPoint(ras);

    /// <summary>The grid voxel nearest a RAS position (what the tool receives as a click: integer voxel indices).</summary>
    public (int X, int Y, int Z) NearestVoxel(Vec3 ras)
    {
        var i = ToIndex(ras);
        return ((int)Math.Floor(i.X + 0.5), (int)Math.Floor(i.Y + 0.5), (int)Math.Floor(i.Z + 0.5));
    }

    public bool Contains((int X, int Y, int Z) v) => Geometry.Contains(v.X, v.Y, v.Z);

    public static RaiGrid For(VolumeGeometry source, double spacingMm = 1.5)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!(spacingMm > 0) || !double.IsFinite(spacingMm))
            throw new ArgumentOutOfRangeException(nameof(spacingMm), spacingMm, "Spacing must be a positive number of millimetres.");
        var min = new double[] { double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity };
        var max = new double[] { double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity };
        for (int corner = 0; corner < 8; corner++)
        {
            var index = new Vec3((corner & 1) == 0 ? 0 : source.SizeI, (corner & 2) == 0 ? 0 : source.SizeJ, (corner & 4) == 0 ? 0 : source.SizeK);
            var lps = ToLps(source.IjkToRasPoint(index));
            for (int a = 0; a < 3; a++)
            {
                min[a] = Math.Min(min[a], lps[a]);
                max[a] = Math.Max(max[a], lps[a]);
            }
        }
        var size = new int[3];
        for (int a = 0; a < 3; a++)
        {
            double cells = (max[a] - min[a]) / spacingMm;
            if (!(cells < 1 << 20)) throw new ArgumentException($"Volume {source} spans {cells:0} voxels of {spacingMm} mm along an axis; too large to resample.");
            size[a] = Math.Max(1, (int)Math.Round(cells, MidpointRounding.ToEven));
        }
        // LPS identity direction seen in RAS: x → −R, y → −A, z → +S.
        var geometry = new VolumeGeometry(size[0], size[1], size[2],
            new Vec3(-spacingMm, 0, 0), new Vec3(0, -spacingMm, 0), new Vec3(0, 0, spacingMm),
            ToLps(new Vec3(min[0], min[1], min[2])));
        return new RaiGrid(geometry, spacingMm);
    }

    /// <summary>RAS ↔ LPS (its own inverse).</summary>
    private static Vec3 ToLps(Vec3 ras) => new(-ras.X, -ras.Y, ras.Z);
}
